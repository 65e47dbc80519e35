package io.possync.odoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The JSON to XML-RPC conversion of a paid order (docs/odoo-backend.md §1.4, §2.3–2.5). */
class PaidOrderEncoderTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "2020-03-01T09:30:05.123Z      | 2020-03-01 09:30:05",
      "2020-03-01T09:30:05.999999Z   | 2020-03-01 09:30:05",
      "2020-03-01T10:30:05+01:00     | 2020-03-01 09:30:05",
      "2020-03-01T00:30:05+0100      | 2020-02-29 23:30:05",
      "2020-03-01T04:30:05.5-05:00   | 2020-03-01 09:30:05",
      "2020-03-01T09:30:05           | 2020-03-01 09:30:05",
      "2020-03-01T09:30Z             | 2020-03-01 09:30:00",
      "2020-03-01 09:30:05           | 2020-03-01 09:30:05",
      "2020-13-01T09:30:05Z          | 2020-13-01T09:30:05Z",
      "yesterday                     | yesterday"})
  void javascriptTimestampsBecomeOdooUtc(String sent, String expected) {
    assertThat(PaidOrderEncoder.odooDateTime(sent)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"2, 2", "-7, -7", "0, 0", "-2147483648, -2147483648", "2147483647, 2147483647"})
  void integralNumbersInIntRangeAreInts(String json, int expected) throws OdooFailure {
    assertThat(PaidOrderEncoder.number(json)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"2.0, 2.0", "8.05, 8.05", "2147483648, 2147483648.0", "1e2, 100.0",
      "-99999999999999999999, -1.0E20", "0.30000000000000004, 0.30000000000000004"})
  void everyOtherNumberIsADouble(String json, double expected) throws OdooFailure {
    assertThat(PaidOrderEncoder.number(json)).isEqualTo(expected);
  }

  @Test
  void aNumberBeyondDoubleIsRejected() {
    OdooFailure f = catchThrowableOfType(OdooFailure.class, () -> PaidOrderEncoder.number("1e400"));

    assertThat(f.kind()).isEqualTo(OdooFailure.Kind.ORDER_REJECTED);
  }

  @Test
  void on13AMissingOrNullServerIdBecomesFalseAndAGivenOneStays() throws OdooFailure {
    assertThat(data(encode("{\"data\":{\"name\":\"Order 1\"}}", OdooVersion.V13)))
        .containsEntry("server_id", false);
    assertThat(data(encode("{\"data\":{\"name\":\"Order 1\",\"server_id\":null}}",
        OdooVersion.V13))).containsEntry("server_id", false);
    assertThat(data(encode("{\"data\":{\"name\":\"Order 1\",\"server_id\":12}}",
        OdooVersion.V13))).containsEntry("server_id", 12);
  }

  @Test
  void on12TheWrapperGetsToInvoiceAndDataIsLeftAlone() throws OdooFailure {
    Map<String, Object> wrapper = encode("{\"id\":\"1\",\"data\":{\"name\":\"Order 1\"}}",
        OdooVersion.V12);

    assertThat(wrapper).containsExactly(Map.entry("id", "1"),
        Map.entry("data", Map.of("name", "Order 1")), Map.entry("to_invoice", false));
    assertThat(encode("{\"data\":{\"name\":\"Order 1\"},\"to_invoice\":true}", OdooVersion.V12))
        .containsEntry("to_invoice", true);
  }

  @Test
  void nullIsLeftOutOfStructsAndFalseInArrays() throws OdooFailure {
    Map<String, Object> data = data(encode(
        "{\"data\":{\"name\":\"Order 1\",\"employee_id\":null,\"tags\":[null,1,\"x\",[]]}}",
        OdooVersion.V13));

    assertThat(data).doesNotContainKey("employee_id");
    assertThat(data.get("tags")).isEqualTo(List.of(false, 1, "x", List.of()));
  }

  @Test
  void onlyTheCreationDateAndPaymentNamesAreTreatedAsDates() throws OdooFailure {
    Map<String, Object> data = data(encode("""
        {"data": {"name": "Order 1", "creation_date": "2020-03-01T09:30:05.123Z",
          "note": "2020-03-01T09:30:05.123Z",
          "statement_ids": [[0, 0, {"name": "2020-03-01T09:31:00.000Z", "amount": 10}]]}}
        """, OdooVersion.V13));

    assertThat(data.get("creation_date")).isEqualTo("2020-03-01 09:30:05");
    assertThat(data.get("note")).isEqualTo("2020-03-01T09:30:05.123Z");
    assertThat(data.get("statement_ids")).isEqualTo(
        List.of(List.of(0, 0, Map.of("name", "2020-03-01 09:31:00", "amount", 10))));
  }

  @Test
  void withoutAStringNameNothingIsEncoded() {
    for (String json : List.of("{}", "{\"data\":[]}", "{\"data\":{}}",
        "{\"data\":{\"name\":7}}", "{\"data\":{\"name\":\"\"}}")) {
      OdooFailure f = catchThrowableOfType(OdooFailure.class,
          () -> encode(json, OdooVersion.V13));
      assertThat(f).as(json).isNotNull();
      assertThat(f.kind()).isEqualTo(OdooFailure.Kind.ORDER_REJECTED);
    }
  }

  @Test
  void nestingIsBounded() {
    String deep = "[".repeat(PaidOrderEncoder.MAX_DEPTH + 1) + "]".repeat(
        PaidOrderEncoder.MAX_DEPTH + 1);

    OdooFailure f = catchThrowableOfType(OdooFailure.class,
        () -> encode("{\"data\":{\"name\":\"Order 1\",\"x\":" + deep + "}}", OdooVersion.V13));

    assertThat(f.getMessage()).contains("nested deeper");
  }

  @Test
  void charactersXmlCannotCarryBecomeReplacementCharacters() {
    assertThat(PaidOrderEncoder.xmlSafe("a\u0000b\u0008c\td\ne\rf")).isEqualTo(
        "a\uFFFDb\uFFFDc\td\ne\rf");
    assertThat(PaidOrderEncoder.xmlSafe("beer \uD83C\uDF7A")).isEqualTo("beer \uD83C\uDF7A");
    assertThat(PaidOrderEncoder.xmlSafe("lone \uD83C and \uDF7A, \uFFFE"))
        .isEqualTo("lone \uFFFD and \uFFFD, \uFFFD");
  }

  private static Map<String, Object> encode(String json, OdooVersion version)
      throws OdooFailure {
    JsonObject o = JsonParser.parseString(json).getAsJsonObject();
    return PaidOrderEncoder.encode(o, version);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> wrapper) {
    return (Map<String, Object>) wrapper.get("data");
  }
}
