package io.possync.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auth.mode=odoo-session}: PosSync behind the site's reverse proxy, same origin as Odoo,
 * so the browser sends its Odoo {@code session_id} cookie; Odoo says whose session it is
 * ({@code /web/session/get_session_info}). Answers are cached briefly, refusals shorter.
 */
final class OdooSessionAccess implements AccessControl {
  private static final Logger LOG = LoggerFactory.getLogger(OdooSessionAccess.class);
  private static final Pattern SESSION = Pattern.compile("(?:^|;\\s*)session_id=([^;\\s]+)");

  /** The Odoo user and database a session belongs to. */
  record Session(String db, long uid) {}

  private final URI infoUrl;
  private final HttpClient http;
  private final Set<String> allowedDbnames;
  private final Cache<String, Session> valid;
  private final Cache<String, Boolean> invalid;

  OdooSessionAccess(String odooUrl, Duration cacheFor, Set<String> allowedDbnames) {
    this.infoUrl = URI.create(odooUrl + "/web/session/get_session_info");
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER).build();
    this.allowedDbnames = allowedDbnames;
    this.valid = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(cacheFor).build();
    this.invalid = Caffeine.newBuilder().maximumSize(10_000)
        .expireAfterWrite(Duration.ofSeconds(Math.min(10, cacheFor.toSeconds()))).build();
  }

  @Override
  public Admission admit(String path, String cookie) {
    Matcher m = cookie == null ? null : SESSION.matcher(cookie);
    if (m == null || !m.find()) {
      throw Grant.denied("no Odoo session: open the POS from Odoo on this site");
    }
    String sessionId = m.group(1);
    Session s = valid.getIfPresent(sessionId);
    if (s == null) {
      if (invalid.getIfPresent(sessionId) != null) {
        throw Grant.denied("the Odoo session is not valid");
      }
      Optional<Session> asked = ask(sessionId);
      if (asked.isEmpty()) {
        invalid.put(sessionId, Boolean.TRUE);
        throw Grant.denied("the Odoo session is not valid");
      }
      s = asked.get();
      valid.put(sessionId, s);
    }
    return new Admission(new Grant(s.db(), null, s.uid(), allowedDbnames), path);
  }

  private Optional<Session> ask(String sessionId) {
    HttpRequest request = HttpRequest.newBuilder(infoUrl).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .header("Cookie", "session_id=" + sessionId)
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":{},\"id\":1}"))
        .build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Optional.empty();
      }
      JsonElement result = JsonParser.parseString(r.body()).getAsJsonObject().get("result");
      if (result == null || !result.isJsonObject()) {
        return Optional.empty(); // Odoo answers an error such as "Odoo Session Expired"
      }
      JsonObject info = result.getAsJsonObject();
      JsonElement uid = info.get("uid");
      JsonElement db = info.get("db");
      if (uid == null || !uid.isJsonPrimitive() || !uid.getAsJsonPrimitive().isNumber()
          || db == null || !db.isJsonPrimitive()) {
        return Optional.empty();
      }
      return Optional.of(new Session(db.getAsString(), uid.getAsLong()));
    } catch (IOException | RuntimeException e) {
      // Odoo unreachable: refuse, but do not cache the refusal as a verdict on the session.
      LOG.warn("event=odoo_session_check_failed error={}", e.getClass().getSimpleName());
      throw Grant.denied("cannot check the Odoo session now");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Grant.denied("cannot check the Odoo session now");
    }
  }
}
