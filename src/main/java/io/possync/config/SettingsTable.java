package io.possync.config;

import static io.possync.config.Parser.bool;
import static io.possync.config.Parser.bytes;
import static io.possync.config.Parser.integer;
import static io.possync.config.Parser.list;
import static io.possync.config.Parser.nonEmpty;
import static io.possync.config.Parser.oneOf;
import static io.possync.config.Parser.path;
import static io.possync.config.Parser.seconds;
import static io.possync.config.Parser.text;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every setting, once: key, default, parser with its bounds, and a one-line description, in the
 * order {@code conf/possync.properties} documents them. The defaults, the environment variable
 * names, the unknown-key checks and the messages about bad values all come from here. Checks that
 * involve two settings (ports that must differ...) are in {@link Settings}.
 */
final class SettingsTable {
  private SettingsTable() {}

  // Filled by row(), in declaration order; ALL, declared after the last row, freezes it.
  private static final List<Setting<?>> ROWS = new ArrayList<>();

  private static <T> Setting<T> row(String key, String defaultValue, Parser<T> parser,
      String description) {
    Setting<T> s = new Setting<>(key, defaultValue, parser, description);
    ROWS.add(s);
    return s;
  }

  // --- POS listener

  static final Setting<String> HTTP_HOST = row("http.host", "127.0.0.1", nonEmpty(),
      "address the POS listener listens on");
  static final Setting<Integer> HTTP_PORT = row("http.port", "8079", integer(0, 65535),
      "port of the POS listener (0: any free port)");
  static final Setting<String> HTTP_PATH_PREFIX = row("http.path_prefix", "",
      text().map(SettingsTable::pathPrefix), "path prefix of every POS URL; empty for none");
  static final Setting<Integer> HTTP_MAX_BODY_BYTES = row("http.max_body_bytes", "8388608",
      bytes(1024).map(b -> (int) Math.min(b, Integer.MAX_VALUE - 1)),
      "largest request body accepted (HTTP 413 beyond)");
  static final Setting<Integer> HTTP_MAX_JSON_DEPTH = row("http.max_json_depth", "128",
      integer(8, 10_000), "deepest JSON nesting accepted in a request");
  static final Setting<Duration> HTTP_DRAIN = row("http.drain", "2", seconds(0, 60),
      "on stop, how long polls are answered at once before the listener closes");

  // --- Who may connect

  static final Setting<AuthMode> AUTH_MODE = row("auth.mode", "none",
      oneOf(AuthMode.values(), false), "none, token or odoo-session (see docs/security.md)");
  static final Setting<Boolean> AUTH_ALLOW_INSECURE = row("auth.allow_insecure", "false", bool(),
      "allow auth.mode=none on a non-loopback address");
  static final Setting<List<String>> AUTH_ALLOWED_DBNAMES = row("auth.allowed_dbnames", "",
      list(), "the only POS dbnames served, comma-separated; empty for any");
  static final Setting<String> AUTH_ODOO_URL = row("auth.odoo_url", "",
      text().map(u -> u.replaceAll("/+$", "")), "Odoo asked about session cookies (odoo-session)");
  static final Setting<Duration> AUTH_SESSION_CACHE = row("auth.session_cache", "60",
      seconds(1, 3600), "how long a checked Odoo session is trusted");

  // --- Limits per request and per client address

  static final Setting<Integer> LIMITS_CHANNELS_PER_POLL = row("limits.channels_per_poll", "16",
      integer(1, 1000), "channels one poll may ask for");
  static final Setting<Integer> LIMITS_HELD_POLLS_PER_ADDRESS = row(
      "limits.held_polls_per_address", "256", integer(1, 1_000_000),
      "polls held at once for one client address");
  static final Setting<Integer> LIMITS_LINES_PER_ORDER = row("limits.lines_per_order", "2000",
      integer(1, 1_000_000), "lines one order may carry");
  static final Setting<Integer> LIMITS_REQUESTS_PER_SECOND = row("limits.requests_per_second",
      "1000", integer(0, 1_000_000), "requests per second from one client address (0: no limit)");
  static final Setting<Boolean> HTTP_TRUST_FORWARDED = row("http.trust_forwarded", "false",
      bool(), "take the client address from the proxy's Forwarded / X-Forwarded-For header");

  // --- HTTPS listener (checked together in Settings: only while tls.port is not 0)

  static final Setting<Integer> TLS_PORT = row("tls.port", "0", integer(0, 65535),
      "port of the HTTPS listener; 0 for none");
  static final Setting<String> TLS_HOST = row("tls.host", "", text(),
      "address of the HTTPS listener; empty for http.host");
  static final Setting<String> TLS_KEYSTORE_FILE = row("tls.keystore_file", "", text(),
      "PKCS12 keystore holding the key and its certificate chain");
  static final Setting<String> TLS_KEYSTORE_PASSWORD_ENV = row("tls.keystore_password_env", "",
      text(), "environment variable holding the keystore password");
  static final Setting<String> TLS_KEYSTORE_PASSWORD_FILE = row("tls.keystore_password_file", "",
      text(), "file whose first line is the keystore password");
  static final Setting<String> TLS_CERT_FILE = row("tls.cert_file", "", text(),
      "PEM certificate chain, the server's certificate first");
  static final Setting<String> TLS_KEY_FILE = row("tls.key_file", "", text(),
      "PEM PKCS#8 private key of tls.cert_file");

  // --- Admin listener

  static final Setting<String> ADMIN_HOST = row("admin.host", "127.0.0.1", nonEmpty(),
      "address of the status page, metrics and health listener");
  static final Setting<Integer> ADMIN_PORT = row("admin.port", "8078", integer(0, 65535),
      "port of the admin listener (0: any free port)");
  static final Setting<String> ADMIN_TOKEN = row("admin.token", "",
      text().check(t -> t.isEmpty() || t.length() >= AdminSettings.MIN_TOKEN_LENGTH,
          "must be at least " + AdminSettings.MIN_TOKEN_LENGTH + " characters long (e.g. the"
              + " output of 'openssl rand -hex 16')"),
      "secret for the status page, its API and the metrics; empty for none");
  static final Setting<Duration> ADMIN_OFFLINE_AFTER = row("admin.offline_after", "75",
      seconds(1, 86_400), "a terminal silent for this long is shown offline");

  // --- Long polling

  static final Setting<Duration> POLL_TIMEOUT = row("poll.timeout", "50", seconds(1, 3600),
      "how long a poll with nothing to deliver is held");
  static final Setting<Integer> POLL_MAX_HELD = row("poll.max_held", "20000",
      integer(1, 10_000_000), "most polls held at once");

  // --- CORS

  static final Setting<List<String>> CORS_ALLOWED_ORIGINS = row("cors.allowed_origins", "*",
      nonEmptyList("must be * or a comma-separated list of origins such as"
          + " https://odoo.example.com"),
      "origins allowed to call PosSync, comma-separated, or *");
  static final Setting<Duration> CORS_MAX_AGE = row("cors.max_age", "7200",
      seconds(0, Integer.MAX_VALUE), "how long browsers may cache a preflight answer");

  // --- Durable state

  static final Setting<Path> STORE_DATA_DIR = row("store.data_dir", "./data", path(),
      "directory of the SQLite database");
  static final Setting<StoreSync> STORE_SYNC = row("store.sync", "process",
      oneOf(StoreSync.values(), true), "process or power: what an acknowledged change survives");
  static final Setting<Long> STORE_MAX_BYTES = row("store.max_bytes", "0", bytes(0),
      "largest size of the database; 0 for no limit");
  static final Setting<StoreKind> STORE_KIND = row("store.kind", "sqlite",
      oneOf(StoreKind.values(), true), "sqlite (one node) or postgresql (a cluster)");
  static final Setting<String> STORE_URL = row("store.url", "",
      text().check(u -> u.isEmpty() || u.startsWith("jdbc:postgresql:"),
          "must be a PostgreSQL JDBC URL such as jdbc:postgresql://127.0.0.1:5432/possync"),
      "PostgreSQL JDBC URL of the cluster's database (store.kind=postgresql)");
  static final Setting<String> STORE_USER = row("store.user", "possync", text(),
      "PostgreSQL role PosSync connects as");
  static final Setting<String> STORE_PASSWORD_ENV = row("store.password_env", "", text(),
      "environment variable that holds that role's password; empty for none");
  static final Setting<Integer> STORE_POOL_SIZE = row("store.pool_size", "10",
      integer(2, 1000), "connections this node keeps to PostgreSQL");
  static final Setting<String> CLUSTER_NODE_NAME = row("cluster.node_name", "", text(),
      "this node's name on the status page; empty for host name and POS port");
  static final Setting<Long> STATE_HOT_BYTES = row("state.hot_bytes", "268435456",
      bytes(1L << 20), "heap that multi-sessions kept in memory may take");

  // --- Retention

  static final Setting<Duration> RETENTION_NOTIFICATIONS = row("retention.notifications", "600",
      seconds(1, Integer.MAX_VALUE).check(
          d -> d.compareTo(RetentionSettings.MIN_NOTIFICATIONS) >= 0,
          "must be at least " + RetentionSettings.MIN_NOTIFICATIONS.toSeconds()
              + " seconds (clients rely on Odoo's 100 s)"),
      "how long a notification stays pollable");
  static final Setting<Long> RETENTION_NOTIFICATION_BYTES = row("retention.notification_bytes",
      "67108864", bytes(1L << 20), "most memory retained notifications may take");
  static final Setting<Duration> RETENTION_ORDERS = row("retention.orders", "604800",
      seconds(1, Integer.MAX_VALUE), "how long deleted and unpaid orders of an ended run are kept");

  // --- Concurrent edits

  static final Setting<SyncConflicts> SYNC_CONFLICTS = row("sync.conflicts", "merge",
      oneOf(SyncConflicts.values(), true), "merge or reject a late update (see docs/conflicts.md)");

  // --- Odoo write-back (the odoo.<name>.* backend keys are read by Settings)

  static final Setting<Duration> OUTBOX_RETRY_MIN = row("outbox.retry_min", "5",
      seconds(1, 86_400), "first retry delay after a transport failure");
  static final Setting<Duration> OUTBOX_RETRY_MAX = row("outbox.retry_max", "600",
      seconds(1, 86_400), "longest retry delay");
  static final Setting<Duration> ODOO_CONNECT_TIMEOUT = row("odoo.connect_timeout", "10",
      seconds(1, 600), "XML-RPC connect timeout");
  static final Setting<Duration> ODOO_REPLY_TIMEOUT = row("odoo.reply_timeout", "60",
      seconds(1, 3600), "XML-RPC reply timeout");
  static final Setting<Boolean> RECONCILE_ENABLED = row("reconcile.enabled", "false", bool(),
      "check that Odoo has the orders terminals pushed themselves");
  static final Setting<Duration> RECONCILE_DELAY = row("reconcile.delay", "900",
      seconds(1, 30 * 86_400), "how long after an order is finalized to check");

  /** Every row, in the order of the reference file. Must stay after the last row. */
  static final List<Setting<?>> ALL = List.copyOf(ROWS);

  private static Parser<List<String>> nonEmptyList(String problem) {
    return text().check(s -> !s.isEmpty(), problem).map(s -> List.of(s.split("\\s*,\\s*")));
  }

  /** {@code sync/} and {@code /sync} both mean {@code /sync}; empty stays empty. */
  private static String pathPrefix(String raw) {
    String prefix = raw;
    if (!prefix.isEmpty()) {
      if (!prefix.startsWith("/")) {
        prefix = "/" + prefix;
      }
      while (prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
    }
    return prefix;
  }
}
