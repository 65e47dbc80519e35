package io.possync.config;

import static io.possync.config.SettingsTable.*;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * All settings, built once at start-up, one section per group of keys. Every key is documented in
 * {@code conf/possync.properties} and listed once in {@link SettingsTable}; each can be overridden
 * by an environment variable {@code POSSYNC_<KEY>} (upper case, dots as underscores) and the
 * common ones by {@code serve} flags. Precedence: flag, environment, file, default.
 *
 * @param access {@code auth.*}, {@code limits.*} and {@code http.trust_forwarded}
 */
public record Settings(
    HttpSettings http,
    AccessSettings access,
    TlsSettings tls,
    AdminSettings admin,
    PollSettings poll,
    CorsSettings cors,
    StoreSettings store,
    StateSettings state,
    RetentionSettings retention,
    SyncSettings sync,
    OutboxSettings outbox,
    OdooSettings odoo,
    ReconcileSettings reconcile) {

  /** {@code odoo.<name>.<field>}: one Odoo backend per name (see conf/possync.properties). */
  private static final Pattern BACKEND_KEY = Pattern.compile(
      "odoo\\.([a-z0-9_]+)\\.(url|database|login|password_env|password_file|pos_dbname)");

  /** Every key with its default, in the order the reference file documents them. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    SettingsTable.ALL.forEach(s -> d.put(s.key(), s.defaultValue()));
    return java.util.Collections.unmodifiableMap(d);
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
        if (!isKey(key)) {
          throw new SettingsException("unknown setting '" + key + "' in " + file
              + " (see conf/possync.properties for the valid keys)");
        }
        values.put(key, p.getProperty(key).strip());
      }
    }
    // Backend keys are overridable only once the file names them: their names are open-ended.
    for (String key : List.copyOf(values.keySet())) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null) {
        values.put(key, fromEnv.strip());
      }
    }
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      if (!isKey(o.getKey())) {
        throw new SettingsException("unknown setting '" + o.getKey() + "'");
      }
      values.put(o.getKey(), o.getValue());
    }
    return fromValues(values);
  }

  private static boolean isKey(String key) {
    return DEFAULTS.containsKey(key) || BACKEND_KEY.matcher(key).matches();
  }

  /**
   * {@code POSSYNC_*} variables that name no setting (a typo would otherwise be ignored
   * silently). {@code POSSYNC_CONFIG} and {@code POSSYNC_JAVA_OPTS} belong to the launcher.
   */
  public static List<String> unknownEnvironment(Map<String, String> env) {
    Set<String> known = new HashSet<>(List.of("POSSYNC_CONFIG", "POSSYNC_JAVA_OPTS"));
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
    Set<String> secrets = new HashSet<>();
    secrets.add(settings.tls().keystorePasswordEnv());
    settings.odoo().backends().forEach(b -> secrets.add(b.passwordEnv()));
    return unknownEnvironment(env).stream().filter(k -> !secrets.contains(k)).toList();
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return Setting.envName(key);
  }

  /** The values of the table's rows, each parsed and checked on its own. */
  private record Values(Map<Setting<?>, Object> parsed) {
    static Values of(Map<String, String> raw) {
      Map<Setting<?>, Object> parsed = new HashMap<>();
      for (Setting<?> s : SettingsTable.ALL) {
        parsed.put(s, s.parse(raw.get(s.key())));
      }
      return new Values(parsed);
    }

    @SuppressWarnings("unchecked") // each value was made by its own row's parser
    <T> T get(Setting<T> s) {
      return (T) parsed.get(s);
    }
  }

  private static Settings fromValues(Map<String, String> raw) {
    Values v = Values.of(raw);
    HttpSettings http = new HttpSettings(v.get(HTTP_HOST), v.get(HTTP_PORT),
        v.get(HTTP_PATH_PREFIX), v.get(HTTP_MAX_BODY_BYTES), v.get(HTTP_MAX_JSON_DEPTH),
        v.get(HTTP_DRAIN));
    PollSettings poll = new PollSettings(v.get(POLL_TIMEOUT), v.get(POLL_MAX_HELD));
    return new Settings(
        http,
        access(v),
        tls(v, http),
        admin(v, http, poll),
        poll,
        new CorsSettings(v.get(CORS_ALLOWED_ORIGINS), v.get(CORS_MAX_AGE)),
        store(v),
        new StateSettings(v.get(STATE_HOT_BYTES)),
        new RetentionSettings(v.get(RETENTION_NOTIFICATIONS),
            v.get(RETENTION_NOTIFICATION_BYTES), v.get(RETENTION_ORDERS)),
        new SyncSettings(v.get(SYNC_CONFLICTS)),
        new OutboxSettings(v.get(OUTBOX_RETRY_MIN), v.get(OUTBOX_RETRY_MAX)),
        new OdooSettings(backends(raw), v.get(ODOO_CONNECT_TIMEOUT), v.get(ODOO_REPLY_TIMEOUT)),
        new ReconcileSettings(v.get(RECONCILE_ENABLED), v.get(RECONCILE_DELAY)));
  }

  private static StoreSettings store(Values v) {
    StoreSettings store = new StoreSettings(v.get(STORE_DATA_DIR), v.get(STORE_SYNC),
        v.get(STORE_MAX_BYTES), v.get(STORE_KIND), v.get(STORE_URL), v.get(STORE_USER),
        v.get(STORE_PASSWORD_ENV), v.get(STORE_POOL_SIZE), v.get(CLUSTER_NODE_NAME));
    if (store.clustered() && store.url().isEmpty()) {
      throw new SettingsException("store.kind=postgresql needs store.url, the JDBC URL of the"
          + " cluster's database (e.g. jdbc:postgresql://127.0.0.1:5432/possync)");
    }
    return store;
  }

  private static AdminSettings admin(Values v, HttpSettings http, PollSettings poll) {
    AdminSettings admin = new AdminSettings(v.get(ADMIN_HOST), v.get(ADMIN_PORT),
        v.get(ADMIN_TOKEN), v.get(ADMIN_OFFLINE_AFTER));
    if (admin.port() != 0 && admin.port() == http.port() && admin.host().equals(http.host())) {
      throw new SettingsException("admin.port must differ from http.port (" + admin.port()
          + "): the status page has a listener of its own");
    }
    if (admin.offlineAfter().compareTo(poll.timeout()) <= 0) {
      // A terminal waiting in a held poll is silent for up to poll.timeout: it would flicker.
      throw new SettingsException("admin.offline_after (" + admin.offlineAfter().toSeconds()
          + " s) must be longer than poll.timeout (" + poll.timeout().toSeconds() + " s): a"
          + " terminal waiting in a held poll sends nothing for that long");
    }
    return admin;
  }

  private static AccessSettings access(Values v) {
    AuthMode mode = v.get(AUTH_MODE);
    String odooUrl = v.get(AUTH_ODOO_URL);
    if (mode == AuthMode.ODOO_SESSION && !odooUrl.matches("https?://[^\\s]+")) {
      throw new SettingsException("auth.mode=odoo-session needs auth.odoo_url, the Odoo server"
          + " whose session cookies are checked (e.g. http://127.0.0.1:8069)");
    }
    return new AccessSettings(mode, v.get(AUTH_ALLOW_INSECURE), v.get(AUTH_ALLOWED_DBNAMES),
        odooUrl, v.get(AUTH_SESSION_CACHE), v.get(LIMITS_CHANNELS_PER_POLL),
        v.get(LIMITS_HELD_POLLS_PER_ADDRESS), v.get(LIMITS_LINES_PER_ORDER),
        v.get(LIMITS_REQUESTS_PER_SECOND), v.get(HTTP_TRUST_FORWARDED));
  }

  private static TlsSettings tls(Values v, HttpSettings http) {
    int port = v.get(TLS_PORT);
    String host = v.get(TLS_HOST).isEmpty() ? http.host() : v.get(TLS_HOST);
    TlsSettings tls = new TlsSettings(port != 0, port, host, v.get(TLS_KEYSTORE_FILE),
        v.get(TLS_KEYSTORE_PASSWORD_ENV), v.get(TLS_KEYSTORE_PASSWORD_FILE), v.get(TLS_CERT_FILE),
        v.get(TLS_KEY_FILE));
    // Off is off: certificate settings may stay in place while tls.port is 0.
    return tls.enabled() ? checked(tls, http.port()) : tls;
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

  private static List<OdooBackend> backends(Map<String, String> v) {
    TreeSet<String> names = new TreeSet<>();
    for (String key : v.keySet()) {
      Matcher m = BACKEND_KEY.matcher(key);
      if (m.matches()) {
        names.add(m.group(1));
      }
    }
    List<OdooBackend> out = new ArrayList<>();
    Set<String> dbnames = new HashSet<>();
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

  /** A copy with another port (tests and the bench start on port 0 and read the real one). */
  public Settings withPort(int newPort) {
    return with(http.withPort(newPort), tls);
  }

  /**
   * A copy with the HTTPS listener on another port, 0 for one the OS chooses (tests and the bench
   * read the real one); the certificate settings are checked as for a configured {@code tls.port}.
   */
  public Settings withTlsPort(int newPort) {
    return with(http, checked(tls.withPort(newPort), http.port()));
  }

  // Each section has a type of its own, so a component out of place here does not compile.
  private Settings with(HttpSettings newHttp, TlsSettings newTls) {
    return new Settings(newHttp, access, newTls, admin, poll, cors, store, state, retention, sync,
        outbox, odoo, reconcile);
  }
}
