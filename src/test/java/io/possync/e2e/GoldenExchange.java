package io.possync.e2e;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One exchange of the reference transcript ({@code golden/transcript.jsonl}): the request as the
 * reference server received it and what it answered. Lines are in the order the requests were
 * sent; a long poll's answer arrived later, after the step its title names.
 *
 * @param step     e.g. {@code S5}, {@code S18a}, {@code P1}
 * @param headers  extra request headers (only S35 has one)
 * @param request  the whole JSON-RPC request body
 * @param response the whole JSON-RPC answer body
 */
record GoldenExchange(String step, String title, String method, String path,
    Map<String, String> headers, JsonObject request, int status, JsonElement response) {

  static final String POLL_PATH = "/longpolling/poll";

  private static final Pattern ANSWERED_AFTER = Pattern.compile("answered after (S\\w+)");
  /** S35a: the reference's slow-connection hook made the poll answer 3 s before S35 was. */
  private static final Pattern ANSWERED_BEFORE =
      Pattern.compile("answered about .* before (S\\w+) is");

  /** The transcript as a test resource, in file order. */
  static List<GoldenExchange> load(String resource) {
    InputStream in = GoldenExchange.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("test resource " + resource + " is missing");
    }
    List<GoldenExchange> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          out.add(parse(JsonParser.parseString(line).getAsJsonObject()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static GoldenExchange parse(JsonObject o) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (o.has("headers")) {
      o.getAsJsonObject("headers").entrySet()
          .forEach(h -> headers.put(h.getKey(), h.getValue().getAsString()));
    }
    return new GoldenExchange(o.get("step").getAsString(), o.get("title").getAsString(),
        o.get("method").getAsString(), o.get("path").getAsString(), Map.copyOf(headers),
        o.getAsJsonObject("request"), o.get("status").getAsInt(), o.get("response"));
  }

  /** "S7 POS 1 sync_all (run_ID 1)": what every assertion message starts with. */
  String label() {
    return step + " " + title;
  }

  boolean isPoll() {
    return path.equals(POLL_PATH);
  }

  /**
   * The step after whose answer this long poll must be awaited, so that later publishes cannot
   * be batched into it; empty if it is awaited at once.
   */
  Optional<String> awaitAfter() {
    for (Pattern p : List.of(ANSWERED_AFTER, ANSWERED_BEFORE)) {
      Matcher m = p.matcher(title);
      if (m.find()) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }

  /**
   * Which server the reference recorded this on: {@code S} steps on the normal one, {@code P}
   * steps on a separate one started with {@code --auth public}.
   */
  String server() {
    return step.substring(0, 1);
  }

  /** A copy with another step name, title and request (for PosSync's own extra exchanges). */
  GoldenExchange withStep(String newStep, String newTitle, JsonObject newRequest) {
    return new GoldenExchange(newStep, newTitle, method, path, headers, newRequest, status,
        response);
  }
}
