package io.possync.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The merge rules of docs/conflicts.md, one row per case: base (what the late writer saw), ours
 * (stored meanwhile), theirs (the late update), and what the merged order holds.
 */
class OrderMergeTest {

  /** Lines are written {@code uid:qty}; a {@code uid:qty:note} line also carries a note. */
  static Stream<Arguments> cases() {
    return Stream.of(
        row("add / add: both new lines kept, ours first",
            "{}", "a:1", "a:1 b:1", "a:1 c:1",
            "a:1 b:1 c:1", "{}", "", "b"),
        row("add / remove: the other side's new line stays, the removed line goes",
            "{}", "a:1 b:1", "a:1 b:1 c:1", "a:1",
            "a:1 c:1", "{}", "", "c"),
        row("remove / add, the other way round",
            "{}", "a:1 b:1", "a:1", "a:1 b:1 c:1",
            "a:1 c:1", "{}", "", ""),
        row("change / change on different lines: both changes",
            "{}", "a:1 b:1", "a:2 b:1", "a:1 b:3",
            "a:2 b:3", "{}", "", "a"),
        row("the same line changed on both sides: the later arrival (theirs) wins",
            "{}", "a:1", "a:2", "a:5",
            "a:5", "{}", "lines[a].qty", ""),
        row("the same line changed on both sides to the same value: no conflict",
            "{}", "a:1", "a:4", "a:4",
            "a:4", "{}", "", ""),
        row("qty changed here, line removed by the late writer: theirs wins, removed",
            "{}", "a:1 b:1", "a:7 b:1", "b:1",
            "b:1", "{}", "lines[a]", ""),
        row("line removed here, qty changed by the late writer: theirs wins, kept",
            "{}", "a:1 b:1", "b:1", "a:7 b:1",
            "b:1 a:7", "{}", "lines[a]", ""),
        row("line removed here, untouched by the late writer: removed",
            "{}", "a:1 b:1", "b:1", "a:1 b:1",
            "b:1", "{}", "", ""),
        row("removed on both sides: removed",
            "{}", "a:1 b:1", "b:1", "b:1",
            "b:1", "{}", "", ""),
        row("order-level field vs line change: both",
            "{\"note\":\"\"}", "a:1", "a:1", "a:2",
            "a:2", "{\"note\":\"window table\"}", "", "",
            "{\"note\":\"window table\"}", "{\"note\":\"\"}"),
        row("order-level field changed on both sides: theirs wins",
            "{\"customer_count\":2}", "a:1", "a:1", "a:1",
            "a:1", "{\"customer_count\":5}", "customer_count", "",
            "{\"customer_count\":4}", "{\"customer_count\":5}"),
        row("an unknown module's order field, added on one side, is kept",
            "{}", "a:1", "a:1", "a:1 b:1",
            "a:1 b:1", "{\"x_kitchen_printed\":[1,2]}", "", "",
            "{\"x_kitchen_printed\":[1,2]}", "{}"),
        row("an unknown module's line field (a note) merges key by key with qty",
            "{}", "a:1", "a:1:no_onions", "a:3",
            "a:3:no_onions", "{}", "", "a"),
        row("an order field removed on one side is removed",
            "{\"table_id\":4}", "a:1", "a:1", "a:1",
            "a:1", "{}", "", "",
            "{}", "{\"table_id\":4}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void merges(String name, JsonObject base, JsonObject ours, JsonObject theirs, String lines,
      JsonObject fields, String conflicts, String changedForWriter) {
    OrderMerge.Result r = OrderMerge.merge(base, ours, theirs, null,
        List.of(message(base), message(ours)), List.of());

    assertThat(lines(r.data())).isEqualTo(lines);
    for (String key : List.of("note", "customer_count", "x_kitchen_printed", "table_id")) {
      assertThat(r.data().get(key)).as(key).isEqualTo(fields.get(key));
    }
    assertThat(String.join(" ", r.conflicts())).isEqualTo(conflicts);
    assertThat(r.changedForWriter()).containsExactlyInAnyOrderElementsOf(
        changedForWriter.isEmpty() ? List.of() : List.of(changedForWriter.split(" ")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void mergingLeavesItsInputsAlone(String name, JsonObject base, JsonObject ours,
      JsonObject theirs) {
    JsonObject[] before = {base.deepCopy(), ours.deepCopy(), theirs.deepCopy()};
    OrderMerge.merge(base, ours, theirs, null, List.of(message(base), message(ours)), List.of());
    assertThat(new JsonObject[] {base, ours, theirs}).containsExactly(before);
  }

  /**
   * A device that built the order from another POS's data names its lines after its own session
   * and login (pos_multi_session.js 12.0); its late update still means the same lines.
   */
  @org.junit.jupiter.api.Test
  void linesRenamedByTheWritersDeviceAreTheSameLines() {
    JsonObject base = data("{\"sequence_number\":3}", "00011-001-0007-1:1 00011-001-0007-2:1");
    JsonObject ours = data("{\"sequence_number\":3}", "00011-001-0007-1:5 00011-001-0007-2:1");
    // Device of session 12, login 1: the same two lines, renamed, plus a new one.
    JsonObject theirs = data("{\"sequence_number\":3}",
        "00012-001-0003-1:1 00012-001-0003-2:1 00012-001-0003-9:1");

    OrderMerge.Result r = OrderMerge.merge(base, ours, theirs, new OrderMerge.Writer("12", "1"),
        List.of(message(base), message(ours)), List.of());

    assertThat(lines(r.data())).isEqualTo(
        "00011-001-0007-1:5 00011-001-0007-2:1 00012-001-0003-9:1");
    assertThat(r.conflicts()).isEmpty();
    // The writer has the first two under other uids: they are sent as changed.
    assertThat(r.changedForWriter()).containsExactlyInAnyOrder("00011-001-0007-1",
        "00011-001-0007-2");
  }

  /** Stored meanwhile by a device that renamed the lines: the late writer's lines match them. */
  @org.junit.jupiter.api.Test
  void linesRenamedInTheStoredVersionAreTheSameLines() {
    JsonObject base = data("{\"sequence_number\":3}", "00011-001-0007-1:1 00011-001-0007-2:1");
    JsonObject oursData = data("{\"sequence_number\":3}", "00012-001-0003-1:4 00012-001-0003-2:1");
    JsonObject oursMessage = message(oursData);
    oursMessage.addProperty("session_id", 12);
    oursMessage.addProperty("login_number", 1);
    JsonObject theirs = data("{\"sequence_number\":3}", "00011-001-0007-1:1 00011-001-0007-2:1"
        + " 00011-001-0007-8:1");

    OrderMerge.Result r = OrderMerge.merge(base, oursData, theirs, new OrderMerge.Writer("11", "1"),
        List.of(message(base), oursMessage), List.of(oursData));

    assertThat(lines(r.data())).isEqualTo(
        "00012-001-0003-1:4 00012-001-0003-2:1 00011-001-0007-8:1");
  }

  // --- notation ---------------------------------------------------------------------------

  private static Arguments row(String name, String fields, String base, String ours,
      String theirs, String merged, String mergedFields, String conflicts, String changed) {
    return row(name, fields, base, ours, theirs, merged, mergedFields, conflicts, changed, fields,
        fields);
  }

  /** With order-level fields of their own for ours and theirs. */
  private static Arguments row(String name, String baseFields, String base, String ours,
      String theirs, String merged, String mergedFields, String conflicts, String changed,
      String oursFields, String theirsFields) {
    return Arguments.of(name, data(baseFields, base), data(oursFields, ours),
        data(theirsFields, theirs), merged, JsonParser.parseString(mergedFields), conflicts,
        changed);
  }

  private static JsonObject data(String fields, String lines) {
    JsonObject d = JsonParser.parseString(fields).getAsJsonObject();
    d.addProperty("uid", "00011-001-0007");
    d.addProperty("amount_total", 0);
    JsonArray out = new JsonArray();
    int id = 1;
    for (String spec : lines.split(" ")) {
      String[] p = spec.split(":");
      JsonObject line = new JsonObject();
      line.addProperty("qty", Integer.parseInt(p[1]));
      line.addProperty("product_id", 40);
      line.addProperty("id", p[0].contains("-") ? Integer.parseInt(p[0].replaceAll(".*-", ""))
          : id);
      line.addProperty("uid", p[0]);
      if (p.length > 2) {
        line.addProperty("note", p[2]);
      }
      id++;
      JsonArray triple = new JsonArray();
      triple.add(0);
      triple.add(0);
      triple.add(line);
      out.add(triple);
    }
    d.add("lines", out);
    return d;
  }

  private static JsonObject message(JsonObject data) {
    JsonObject m = new JsonObject();
    m.addProperty("action", "update_order");
    m.add("data", data);
    return m;
  }

  private static String lines(JsonObject data) {
    List<String> out = new ArrayList<>();
    for (JsonElement e : data.getAsJsonArray("lines")) {
      JsonObject l = e.getAsJsonArray().get(2).getAsJsonObject();
      String s = l.get("uid").getAsString() + ":" + l.get("qty").getAsInt();
      if (l.has("note")) {
        s += ":" + l.get("note").getAsString();
      }
      out.add(s);
    }
    return String.join(" ", out);
  }
}
