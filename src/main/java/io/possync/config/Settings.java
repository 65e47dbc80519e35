package io.possync.config;

import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * All settings, built once at start-up. Every key is documented in {@code conf/possync.properties};
 * each can be overridden by an environment variable {@code POSSYNC_<KEY>} (upper case, dots as
 * underscores) and the common ones by {@code serve} flags. Precedence: flag, environment, file,
 * default.
 */
public record Settings(
    String host,
    int port,
    String pathPrefix,
    Duration pollTimeout,
    int pollMaxHeld,
    List<String> corsAllowedOrigins,
    Duration corsMaxAge,
    int maxBodyBytes,
    int maxJsonDepth,
    Duration notificationRetention,
    long notificationBytes,
    Duration orderRetention,
    Path dataDir,
    String storeSync,
    long storeMaxBytes,
    long hotBytes,
    Duration outboxRetryMin,
    Duration outboxRetryMax,
    Duration odooConnectTimeout,
    Duration odooReplyTimeout,
    boolean reconcileEnabled,
    Duration reconcileDelay,
    List<OdooBackend> odooBackends,
    AccessSettings access,
    TlsSettings tls,
    AdminSettings admin,
    String syncConflicts) {

  /** Odoo's bus keeps notifications 100 s; clients rely on at least that much (PROTOCOL.md §6). */
  public static final Duration MIN_NOTIFICATION_RETENTION = Duration.ofSeconds(100);

  /** {@code odoo.<name>.<field>}: one Odoo backend per name (see conf/possync.properties). */
  private static final java.util.regex.Pattern BACKEND_KEY = java.util.regex.Pattern.compile(
      "odoo\\.([a-z0-9_]+)\\.(url|database|login|password_env|password_file|pos_dbname)");

  /** Every key with its default, in the order the reference file documents them. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("http.host", "127.0.0.1");
    d.put("http.port", "8079");
    d.put("http.path_prefix", "");
    d.put("http.max_body_bytes", "8388608");
    d.put("http.max_json_depth", "128");
    d.put("tls.port", "0");
    d.put("tls.host", "");
    d.put("tls.keystore_file", "");
    d.put("tls.keystore_password_env", "");
    d.put("tls.keystore_password_file", "");
    d.put("tls.cert_file", "");
    d.put("tls.key_file", "");
    d.put("poll.timeout", "50");
    d.put("poll.max_held", "20000");
    d.put("cors.allowed_origins", "*");
    d.put("cors.max_age", "7200");
    d.put("retention.notifications", "600");
    d.put("retention.notification_bytes", "67108864");
    d.put("retention.orders", "604800");
    d.put("sync.conflicts", "merge");
    d.put("store.data_dir", "./data");
    d.put("store.sync", "process");
    d.put("store.max_bytes", "0");
    d.put("state.hot_bytes", "268435456");
    d.put("outbox.retry_min", "5");
    d.put("outbox.retry_max", "600");
    d.put("odoo.connect_timeout", "10");
    d.put("odoo.reply_timeout", "60");
    d.put("reconcile.enabled", "false");
    d.put("reconcile.delay", "900");
    d.put("auth.mode", "none");
    d.put("auth.allow_insecure", "false");
    d.put("auth.allowed_dbnames", "");
    d.put("auth.odoo_url", "");
    d.put("auth.session_cache", "60");
    d.put("limits.channels_per_poll", "16");
    d.put("limits.held_polls_per_address", "256");
    d.put("limits.lines_per_order", "2000");
    d.put("limits.requests_per_second", "1000");
    d.put("http.trust_forwarded", "false");
    d.put("admin.host", "127.0.0.1");
    d.put("admin.port", "8078");
    d.put("admin.token", "");
    d.put("admin.offline_after", "75");
    return d;
  }

  /** Settings with every default. */
  public static Settings defaultSettings() {
    return load(null, Map.of(), Map.of());
  }

  /**
   * Builds the settings.
   *
   * @param file      properties file, or null for none
   * @param env       the environment ({@code POSSYNC_*} variables are read from it)
   * @param overrides values given as flags, by key
   * @throws SettingsException with a message naming the key when a value is missing or wrong
   */
  public static Settings load(Path file, Map<String, String> env, Map<String, String> overrides) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new SettingsException("cannot read config file " + file + ": " + e.getMessage());
      }
      for (String key : p.stringPropertyNames()) {
        if (BACKEND_KEY.matcher(key).matches()) {
          values.put(key, p.getProperty(key).strip());
          continue;
        }
        if (!DEFAULTS.containsKey(key)) {
          throw new SettingsException("unknown setting '" + key + "' in " + file
              + " (see conf/possync.properties for the valid keys)");
        }
        values.put(key, p.getProperty(key).strip());
      }
    }
    for (String key : List.copyOf(values.keySet())) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null) {
        values.put(key, fromEnv.strip());
      }
    }
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      if (!DEFAULTS.containsKey(o.getKey()) && !BACKEND_KEY.matcher(o.getKey()).matches()) {
        throw new SettingsException("unknown setting '" + o.getKey() + "'");
      }
      values.put(o.getKey(), o.getValue());
    }
    return fromValues(values);
  }

  /**
   * {@code POSSYNC_*} variables that name no setting (a typo would otherwise be ignored
   * silently). {@code POSSYNC_CONFIG} and {@code POSSYNC_JAVA_OPTS} belong to the launcher.
   */
  public static List<String> unknownEnvironment(Map<String, String> env) {
    java.util.Set<String> known = new java.util.HashSet<>(List.of("POSSYNC_CONFIG",
        "POSSYNC_JAVA_OPTS"));
    for (String key : DEFAULTS.keySet()) {
      known.add(envName(key));
    }
    return env.keySet().stream().filter(k -> k.startsWith("POSSYNC_") && !known.contains(k)
            && !k.startsWith("POSSYNC_ODOO_"))
        .sorted().toList();
  }

  /**
   * Like {@link #unknownEnvironment(Map)}, except for the variables the settings name as holding a
   * secret ({@code tls.keystore_password_env}, {@code odoo.<name>.password_env}): those are
   * expected, whatever their names.
   */
  public static List<String> unknownEnvironment(Map<String, String> env, Settings settings) {
    java.util.Set<String> secrets = new java.util.HashSet<>();
    secrets.add(settings.tls().keystorePasswordEnv());
    settings.odooBackends().forEach(b -> secrets.add(b.passwordEnv()));
    return unknownEnvironment(env).stream().filter(k -> !secrets.contains(k)).toList();
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return "POSSYNC_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  private static Settings fromValues(Map<String, String> v) {
    String prefix = v.get("http.path_prefix");
    if (!prefix.isEmpty()) {
      if (!prefix.startsWith("/")) {
        prefix = "/" + prefix;
      }
      while (prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
    }
    Duration retention = seconds(v, "retention.notifications", 1, Integer.MAX_VALUE);
    if (retention.compareTo(MIN_NOTIFICATION_RETENTION) < 0) {
      throw new SettingsException("retention.notifications must be at least "
          + MIN_NOTIFICATION_RETENTION.toSeconds() + " seconds (clients rely on Odoo's 100 s)");
    }
    if (v.get("cors.allowed_origins").isEmpty()) {
      throw new SettingsException("cors.allowed_origins must be * or a comma-separated list of"
          + " origins such as https://odoo.example.com");
    }
    String host = v.get("http.host");
    if (host.isEmpty()) {
      throw new SettingsException("http.host must not be empty");
    }
    int port = integer(v, "http.port", 0, 65535);
    Duration pollTimeout = seconds(v, "poll.timeout", 1, 3600);
    return new Settings(
        host,
        port,
        prefix,
        pollTimeout,
        integer(v, "poll.max_held", 1, 10_000_000),
        List.of(v.get("cors.allowed_origins").split("\\s*,\\s*")),
        seconds(v, "cors.max_age", 0, Integer.MAX_VALUE),
        (int) Math.min(bytes(v, "http.max_body_bytes", 1024), Integer.MAX_VALUE - 1),
        integer(v, "http.max_json_depth", 8, 10_000),
        retention,
        bytes(v, "retention.notification_bytes", 1L << 20),
        seconds(v, "retention.orders", 1, Integer.MAX_VALUE),
        dataDir(v.get("store.data_dir")),
        storeSync(v.get("store.sync")),
        bytes(v, "store.max_bytes", 0),
        bytes(v, "state.hot_bytes", 1L << 20),
        seconds(v, "outbox.retry_min", 1, 86_400),
        seconds(v, "outbox.retry_max", 1, 86_400),
        seconds(v, "odoo.connect_timeout", 1, 600),
        seconds(v, "odoo.reply_timeout", 1, 3600),
        bool(v, "reconcile.enabled"),
        seconds(v, "reconcile.delay", 1, 30 * 86_400),
        backends(v),
        access(v),
        tls(v, host, port),
        admin(v, host, port, pollTimeout),
        conflicts(v.get("sync.conflicts")));
  }

  private static AdminSettings admin(Map<String, String> v, String httpHost, int httpPort,
      Duration pollTimeout) {
    String host = v.get("admin.host");
    if (host.isEmpty()) {
      throw new SettingsException("admin.host must not be empty");
    }
    int port = integer(v, "admin.port", 0, 65535);
    if (port != 0 && port == httpPort && host.equals(httpHost)) {
      throw new SettingsException("admin.port must differ from http.port (" + port + "): the"
          + " status page has a listener of its own");
    }
    String token = v.get("admin.token");
    if (!token.isEmpty() && token.length() < AdminSettings.MIN_TOKEN_LENGTH) {
      throw new SettingsException("admin.token must be at least " + AdminSettings.MIN_TOKEN_LENGTH
          + " characters long (e.g. the output of 'openssl rand -hex 16')");
    }
    Duration offlineAfter = seconds(v, "admin.offline_after", 1, 86_400);
    if (offlineAfter.compareTo(pollTimeout) <= 0) {
      // A terminal waiting in a held poll is silent for up to poll.timeout: it would flicker.
      throw new SettingsException("admin.offline_after (" + offlineAfter.toSeconds() + " s) must"
          + " be longer than poll.timeout (" + pollTimeout.toSeconds() + " s): a terminal"
          + " waiting in a held poll sends nothing for that long");
    }
    return new AdminSettings(host, port, token, offlineAfter);
  }

  private static AccessSettings access(Map<String, String> v) {
    String mode = v.get("auth.mode").toLowerCase(Locale.ROOT);
    if (!List.of(AccessSettings.NONE, AccessSettings.TOKEN, AccessSettings.ODOO_SESSION)
        .contains(mode)) {
      throw new SettingsException("auth.mode must be none, token or odoo-session, not '"
          + v.get("auth.mode") + "'");
    }
    String odooUrl = v.get("auth.odoo_url").replaceAll("/+$", "");
    if (mode.equals(AccessSettings.ODOO_SESSION) && !odooUrl.matches("https?://[^\\s]+")) {
      throw new SettingsException("auth.mode=odoo-session needs auth.odoo_url, the Odoo server"
          + " whose session cookies are checked (e.g. http://127.0.0.1:8069)");
    }
    String dbnames = v.get("auth.allowed_dbnames");
    return new AccessSettings(mode, bool(v, "auth.allow_insecure"),
        dbnames.isEmpty() ? List.of() : List.of(dbnames.split("\\s*,\\s*")), odooUrl,
        seconds(v, "auth.session_cache", 1, 3600),
        integer(v, "limits.channels_per_poll", 1, 1000),
        integer(v, "limits.held_polls_per_address", 1, 1_000_000),
        integer(v, "limits.lines_per_order", 1, 1_000_000),
        integer(v, "limits.requests_per_second", 0, 1_000_000),
        bool(v, "http.trust_forwarded"));
  }

  private static TlsSettings tls(Map<String, String> v, String httpHost, int httpPort) {
    int port = integer(v, "tls.port", 0, 65535);
    String host = v.get("tls.host").isEmpty() ? httpHost : v.get("tls.host");
    TlsSettings tls = new TlsSettings(port != 0, port, host, v.get("tls.keystore_file"),
        v.get("tls.keystore_password_env"), v.get("tls.keystore_password_file"),
        v.get("tls.cert_file"), v.get("tls.key_file"));
    // Off is off: certificate settings may stay in place while tls.port is 0.
    return tls.enabled() ? checked(tls, httpPort) : tls;
  }

  /**
   * Checks that an enabled HTTPS listener names exactly one certificate form. The files are read
   * at start ({@code io.possync.http.ServerCertificate}), not here.
   */
  private static TlsSettings checked(TlsSettings tls, int httpPort) {
    if (tls.port() != 0 && tls.port() == httpPort) {
      throw new SettingsException("tls.port must differ from http.port (both are " + httpPort
          + ")");
    }
    boolean pem = !tls.certFile().isEmpty() || !tls.keyFile().isEmpty();
    if (tls.usesKeystore() && pem) {
      throw new SettingsException("set either tls.keystore_file (PKCS12) or tls.cert_file and"
          + " tls.key_file (PEM), not both");
    }
    if (tls.usesKeystore()) {
      if (tls.keystorePasswordEnv().isEmpty() == tls.keystorePasswordFile().isEmpty()) {
        throw new SettingsException("set exactly one of tls.keystore_password_env and"
            + " tls.keystore_password_file (the password never goes in this file)");
      }
      return tls;
    }
    if (!tls.keystorePasswordEnv().isEmpty() || !tls.keystorePasswordFile().isEmpty()) {
      throw new SettingsException("tls.keystore_password_env and tls.keystore_password_file go"
          + " with tls.keystore_file; the PEM key in tls.key_file has no password");
    }
    if (!pem) {
      throw new SettingsException("tls.port is set, so set either tls.keystore_file (PKCS12) or"
          + " tls.cert_file and tls.key_file (PEM)");
    }
    if (tls.certFile().isEmpty() || tls.keyFile().isEmpty()) {
      throw new SettingsException("set both tls.cert_file (the certificate chain) and"
          + " tls.key_file (its private key)");
    }
    return tls;
  }

  private static boolean bool(Map<String, String> v, String key) {
    String raw = v.get(key).toLowerCase(Locale.ROOT);
    if (!raw.equals("true") && !raw.equals("false")) {
      throw new SettingsException(key + " must be true or false, not '" + v.get(key) + "'");
    }
    return raw.equals("true");
  }

  private static List<OdooBackend> backends(Map<String, String> v) {
    java.util.TreeSet<String> names = new java.util.TreeSet<>();
    for (String key : v.keySet()) {
      java.util.regex.Matcher m = BACKEND_KEY.matcher(key);
      if (m.matches()) {
        names.add(m.group(1));
      }
    }
    List<OdooBackend> out = new java.util.ArrayList<>();
    java.util.Set<String> dbnames = new java.util.HashSet<>();
    for (String name : names) {
      String prefix = "odoo." + name + ".";
      String url = required(v, prefix + "url");
      if (!url.matches("https?://[^\\s]+")) {
        throw new SettingsException(prefix + "url must be an http:// or https:// URL of the Odoo"
            + " server (the final one: redirects are not followed), not '" + url + "'");
      }
      String database = required(v, prefix + "database");
      String login = required(v, prefix + "login");
      String env = v.getOrDefault(prefix + "password_env", "");
      String file = v.getOrDefault(prefix + "password_file", "");
      if (env.isEmpty() == file.isEmpty()) {
        throw new SettingsException("set exactly one of " + prefix + "password_env and "
            + prefix + "password_file (the password never goes in this file)");
      }
      String posDbname = v.getOrDefault(prefix + "pos_dbname", "");
      if (posDbname.isEmpty()) {
        posDbname = database;
      }
      if (!dbnames.add(posDbname)) {
        throw new SettingsException("two Odoo backends serve the POS dbname '" + posDbname + "'");
      }
      out.add(new OdooBackend(name, url.replaceAll("/+$", ""), database, login, env, file,
          posDbname));
    }
    return List.copyOf(out);
  }

  private static String required(Map<String, String> v, String key) {
    String value = v.getOrDefault(key, "");
    if (value.isEmpty()) {
      throw new SettingsException(key + " must be set");
    }
    return value;
  }

  private static Path dataDir(String raw) {
    if (raw.isEmpty()) {
      throw new SettingsException("store.data_dir must not be empty");
    }
    return Path.of(raw);
  }

  private static String storeSync(String raw) {
    String value = raw.toLowerCase(Locale.ROOT);
    if (!value.equals("process") && !value.equals("power")) {
      throw new SettingsException("store.sync must be 'process' or 'power', not '" + raw + "'");
    }
    return value;
  }

  private static String conflicts(String raw) {
    String value = raw.toLowerCase(Locale.ROOT);
    if (!value.equals("merge") && !value.equals("reject")) {
      throw new SettingsException("sync.conflicts must be 'merge' or 'reject', not '" + raw + "'");
    }
    return value;
  }

  private static long bytes(Map<String, String> v, String key, long min) {
    String raw = v.get(key);
    try {
      // A plain number of bytes, or with a unit KB, MB or GB (1024-based, as the JVM's -Xmx and
      // logback read them; case and a space before the unit do not matter): 256MB.
      long value = FileSize.valueOf(raw).getSize();
      if (value < min) {
        throw new SettingsException(key + " must be at least " + min + " bytes, not " + raw);
      }
      return value;
    } catch (IllegalArgumentException e) {
      throw new SettingsException(key + " must be a number of bytes, plain or with KB, MB or GB"
          + " (e.g. 256MB), not '" + raw + "'");
    }
  }

  /** A copy with another port (tests and the bench start on port 0 and read the real one). */
  public Settings withPort(int newPort) {
    return new Settings(host, newPort, pathPrefix, pollTimeout, pollMaxHeld, corsAllowedOrigins,
        corsMaxAge, maxBodyBytes, maxJsonDepth, notificationRetention, notificationBytes,
        orderRetention, dataDir, storeSync, storeMaxBytes, hotBytes, outboxRetryMin,
        outboxRetryMax, odooConnectTimeout, odooReplyTimeout, reconcileEnabled, reconcileDelay,
        odooBackends, access, tls, admin, syncConflicts);
  }

  /**
   * A copy with the HTTPS listener on another port, 0 for one the OS chooses (tests and the bench
   * read the real one); the certificate settings are checked as for a configured {@code tls.port}.
   */
  public Settings withTlsPort(int newPort) {
    TlsSettings moved = checked(new TlsSettings(true, newPort, tls.host(), tls.keystoreFile(),
        tls.keystorePasswordEnv(), tls.keystorePasswordFile(), tls.certFile(), tls.keyFile()),
        port);
    return new Settings(host, port, pathPrefix, pollTimeout, pollMaxHeld, corsAllowedOrigins,
        corsMaxAge, maxBodyBytes, maxJsonDepth, notificationRetention, notificationBytes,
        orderRetention, dataDir, storeSync, storeMaxBytes, hotBytes, outboxRetryMin,
        outboxRetryMax, odooConnectTimeout, odooReplyTimeout, reconcileEnabled, reconcileDelay,
        odooBackends, access, moved, admin, syncConflicts);
  }

  private static final Function<String, Integer> INTEGER = Integer::parseInt;

  private static int integer(Map<String, String> v, String key, int min, int max) {
    return parse(v, key, INTEGER, min, max);
  }

  /**
   * A duration in whole seconds: a plain number of seconds, or with a unit s, min (or m), h or d:
   * {@code 50s}, {@code 10min}, {@code 7d}.
   */
  private static Duration seconds(Map<String, String> v, String key, int min, int max) {
    return Duration.ofSeconds(parse(v, key, Settings::durationSeconds, min, max));
  }

  private static final java.util.regex.Pattern DURATION = java.util.regex.Pattern.compile(
      "(\\d{1,10})\\s*(s|sec|m|min|h|d)?", java.util.regex.Pattern.CASE_INSENSITIVE);

  private static Integer durationSeconds(String raw) {
    java.util.regex.Matcher m = DURATION.matcher(raw);
    if (!m.matches()) {
      throw new NumberFormatException(raw);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    long factor = switch (unit) {
      case "m", "min" -> 60;
      case "h" -> 3600;
      case "d" -> 86_400;
      default -> 1;
    };
    return (int) Math.min(Integer.MAX_VALUE, n * factor);
  }

  private static int parse(Map<String, String> v, String key, Function<String, Integer> f, int min,
      int max) {
    String raw = v.get(key);
    int value;
    try {
      value = f.apply(raw);
    } catch (NumberFormatException e) {
      throw new SettingsException(key + " must be a whole number" + (f == INTEGER ? ""
          : " of seconds, plain or with a unit s, min, h or d (e.g. 50s)") + ", not '" + raw + "'");
    }
    if (value < min || value > max) {
      throw new SettingsException(key + " must be between " + min + " and " + max + ", not " + raw);
    }
    return value;
  }
}
