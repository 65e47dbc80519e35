package io.possync.app;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.possync.config.AdminSettings;
import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.http.AdminServer;
import io.possync.http.StatusReport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code possync status}: asks a running server's admin listener for {@code GET /api/status} (the
 * {@link StatusReport} its status page renders) and prints a short summary in plain words.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Ask the running server (its admin listener: admin.host, admin.port,"
        + " admin.token) how it is doing: uptime, held polls, terminals and drafts per database,"
        + " the outbox.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the server answered",
        "1:the server could not be reached, refused the token or did not answer with its status",
        "2:invalid command line or configuration"})
final class StatusCommand implements Callable<Integer> {
  static final String PATH = AdminServer.STATUS_PATH;
  /** The user name sent with the token; the admin listener checks only the password. */
  static final String USER = "possync";
  /** Reads the document as the admin listener writes it. */
  private static final Gson JSON = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create();
  /** States listed in this order; one with no entry is left out. */
  private static final List<String> STATES = List.of("pending", "dead", "missing", "done",
      "dropped");

  @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:POSSYNC_CONFIG}",
      description = "Properties file, for admin.*; default $POSSYNC_CONFIG.")
  Path config;

  @Option(names = "--json", description = "Print the server's /api/status document as it is"
      + " (what the status page shows).")
  boolean json;

  PrintStream out = System.out;
  PrintStream err = System.err;
  Map<String, String> env = System.getenv();

  @Override
  public Integer call() throws InterruptedException {
    AdminSettings admin;
    try {
      admin = Settings.load(config, env, Map.of()).admin();
    } catch (SettingsException e) {
      err.println("possync: " + e.getMessage());
      return 2;
    }
    URI uri = uri(admin);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET()
        .timeout(Duration.ofSeconds(10)).header("Accept", "application/json");
    if (admin.hasToken()) {
      request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          (USER + ":" + admin.token()).getBytes(StandardCharsets.UTF_8)));
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER).build();
    HttpResponse<String> answer;
    try {
      answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      err.println("possync: cannot reach the server's admin listener at " + uri
          + " (connection refused); is PosSync running, with admin.port = " + admin.port() + "?");
      return 1;
    } catch (HttpTimeoutException e) {
      err.println("possync: the server's admin listener at " + uri + " did not answer in time");
      return 1;
    } catch (IOException e) {
      err.println("possync: cannot reach the server's admin listener at " + uri + " ("
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
      return 1;
    }
    if (answer.statusCode() == 401 || answer.statusCode() == 403) {
      err.println("possync: the admin listener at " + uri + " refused the token; set admin.token"
          + " (or POSSYNC_ADMIN_TOKEN) to the server's");
      return 1;
    }
    if (answer.statusCode() != 200) {
      err.println("possync: the admin listener at " + uri + " answered HTTP "
          + answer.statusCode());
      return 1;
    }
    StatusReport status;
    try {
      status = JSON.fromJson(answer.body(), StatusReport.class);
    } catch (RuntimeException e) {
      status = null;
    }
    if (status == null || status.node() == null) {
      err.println("possync: " + uri + " did not answer with a PosSync status");
      return 1;
    }
    if (json) {
      out.println(answer.body());
      return 0;
    }
    summarize(uri, status);
    return 0;
  }

  /** The admin listener's status address; a wildcard bind address is asked on loopback. */
  static URI uri(AdminSettings admin) {
    String host = switch (admin.host()) {
      case "0.0.0.0", "" -> "127.0.0.1";
      case "::", "[::]" -> "[::1]";
      default -> admin.host().contains(":") && !admin.host().startsWith("[")
          ? "[" + admin.host() + "]" : admin.host();
    };
    return URI.create("http://" + host + ":" + admin.port() + PATH);
  }

  private void summarize(URI uri, StatusReport s) {
    StatusReport.Node node = s.node();
    out.println("PosSync " + node.version() + " (admin " + uri.getHost() + ":" + uri.getPort()
        + ", POS listener " + node.posListener() + "): up " + uptime(node.uptimeSeconds()) + ", "
        + count(node.heldPolls(), "poll") + " held");
    List<StatusReport.Database> databases = listOf(s.databases());
    if (databases.isEmpty()) {
      out.println("no terminal has synced since the start");
    }
    for (StatusReport.Database db : databases) {
      List<StatusReport.MultiSession> sessions = listOf(db.multiSessions());
      List<StatusReport.Terminal> terminals = new ArrayList<>(listOf(db.otherTerminals()));
      long drafts = 0;
      for (StatusReport.MultiSession m : sessions) {
        terminals.addAll(listOf(m.terminals()));
        drafts += m.draftOrders();
      }
      Map<String, Long> byState = new TreeMap<>();
      for (StatusReport.Terminal t : terminals) {
        byState.merge(String.valueOf(t.state()), 1L, Long::sum);
      }
      out.println("database " + db.dbname() + ": " + count(sessions.size(), "multi-session")
          + ", " + count(byState.getOrDefault("online", 0L), "terminal") + " online"
          + (byState.containsKey("stale") ? ", " + byState.get("stale") + " late" : "")
          + ", " + byState.getOrDefault("offline", 0L) + " offline, "
          + count(drafts, "draft order"));
    }
    StatusReport.Outbox outbox = s.outbox();
    if (outbox == null) {
      return;
    }
    Map<String, Map<String, Integer>> counts = new TreeMap<>();
    listOf(outbox.configured()).forEach(db -> counts.put(db, Map.of()));
    if (outbox.counts() != null) {
      counts.putAll(outbox.counts());
    }
    for (Map.Entry<String, Map<String, Integer>> db : counts.entrySet()) {
      List<String> parts = new ArrayList<>();
      for (String state : STATES) {
        Integer n = db.getValue() == null ? null : db.getValue().get(state);
        if (n != null && n > 0) {
          parts.add(n + " " + state);
        }
      }
      out.println("outbox " + db.getKey() + ": "
          + (parts.isEmpty() ? "empty" : String.join(", ", parts)));
    }
    for (StatusReport.Pause pause : listOf(outbox.paused())) {
      out.println("outbox " + pause.dbname() + ": PAUSED since "
          + Instant.ofEpochMilli(pause.since()) + ": " + pause.reason());
    }
  }

  static String uptime(long s) {
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return s / 60 + " min";
    }
    if (s < 86_400) {
      return s / 3600 + " h " + s % 3600 / 60 + " min";
    }
    return s / 86_400 + " d " + s % 86_400 / 3600 + " h";
  }

  private static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list;
  }
}
