package io.possync.odoo;

import com.google.gson.JsonObject;
import io.possync.odoo.OdooFailure.Kind;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.common.TypeFactoryImpl;
import org.apache.xmlrpc.common.XmlRpcStreamConfig;
import org.apache.xmlrpc.parser.TypeParser;
import org.apache.xmlrpc.serializer.XmlRpcWriter;
import org.apache.ws.commons.util.NamespaceContextImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link OdooClient} on Apache XML-RPC 3.1.3, hardened: {@code /xmlrpc/2/} routes only, no
 * extensions and no Java deserialization, no DOCTYPE, no redirects, bounded waits, and every
 * failure classified for the outbox (docs/odoo-backend.md §1, §5).
 */
public final class XmlRpcOdooClient implements OdooClient {
  private static final Logger LOG = LoggerFactory.getLogger(XmlRpcOdooClient.class);

  /** How long to wait for the TCP (and TLS) connection. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /**
   * How long to wait for an answer: {@code create_from_ui} may sleep up to ~31 s in Odoo's own
   * retries before creating pickings and invoices (docs/odoo-backend.md §1.3, §1.4).
   */
  public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(60);

  private static final List<String> FOUND_ORDER_FIELDS =
      List.of("id", "pos_reference", "state", "session_id", "amount_total");

  static {
    HardenedSax.installForLibrary();
  }

  private final OdooConnection connection;
  private final XmlRpcClient rpc;
  private final XmlRpcClientConfigImpl common;
  private final XmlRpcClientConfigImpl object;

  /** A client with the default timeouts. */
  public XmlRpcOdooClient(OdooConnection connection) {
    this(connection, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REPLY_TIMEOUT);
  }

  /**
   * @throws IllegalArgumentException if the URL is not a plain http(s) base URL (it must not carry
   *                                  credentials, a query or a fragment) or a timeout is not
   *                                  positive
   */
  public XmlRpcOdooClient(OdooConnection connection, Duration connectTimeout,
      Duration replyTimeout) {
    this.connection = Objects.requireNonNull(connection, "connection");
    int connectMillis = millis(connectTimeout, "connect timeout");
    int replyMillis = millis(replyTimeout, "reply timeout");
    this.common = endpoint(connection.url(), "/xmlrpc/2/common");
    this.object = endpoint(connection.url(), "/xmlrpc/2/object");
    this.rpc = new XmlRpcClient();
    rpc.setConfig(common);
    rpc.setTypeFactory(new NoExtensionsTypeFactory(rpc));
    rpc.setXmlWriterFactory(new Utf8XmlWriterFactory());
    rpc.setTransportFactory(() -> new OdooHttpTransport(rpc, connectMillis, replyMillis));
  }

  private static int millis(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " must be positive and below 24 days: " + d);
    }
    return (int) Math.max(1, d.toMillis());
  }

  /** One of the two routes PosSync uses; the legacy ones answer string faultCodes (§1.1). */
  private static XmlRpcClientConfigImpl endpoint(URI base, String route) {
    String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase();
    if (!scheme.equals("http") && !scheme.equals("https") || base.getHost() == null) {
      throw new IllegalArgumentException("the Odoo URL must be http(s)://host[:port][/path]: "
          + base);
    }
    if (base.getRawUserInfo() != null || base.getRawQuery() != null
        || base.getRawFragment() != null) {
      throw new IllegalArgumentException("the Odoo URL must carry no credentials, query or"
          + " fragment: " + base.getScheme() + "://" + base.getHost());
    }
    String path = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
    XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
    try {
      config.setServerURL(new URL(base.getScheme() + "://" + base.getRawAuthority() + path
          + route));
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("bad Odoo URL " + base + ": " + e.getMessage(), e);
    }
    // Odoo cannot read ex: types, and ex:serializable is Java deserialization (§1.4).
    config.setEnabledForExtensions(false);
    config.setEnabledForExceptions(false);
    config.setContentLengthOptional(false); // Odoo reads the body by Content-Length (§1.1)
    config.setEncoding(XmlRpcStreamConfig.UTF8_ENCODING);
    config.setGzipCompressing(false);
    config.setGzipRequesting(false);
    return config;
  }

  @Override
  public OdooVersion version() throws OdooFailure {
    Object answer = call(common, "version");
    if (!(answer instanceof Map<?, ?> info)) {
      throw unexpected("version", answer);
    }
    String serie = info.get("server_serie") instanceof String s ? s
        : info.get("server_version") instanceof String s ? s : "";
    serie = serie.endsWith("+e") ? serie.substring(0, serie.length() - 2) : serie;
    if (serie.isEmpty() && info.get("server_version_info") instanceof Object[] v && v.length > 1
        && v[0] instanceof Integer major && Integer.valueOf(0).equals(v[1])) {
      serie = major + ".0";
    }
    return switch (serie) {
      case "12.0" -> OdooVersion.V12;
      case "13.0" -> OdooVersion.V13;
      default -> throw new OdooFailure(Kind.MISCONFIGURED, 0, "Odoo " + connection.url()
          + " runs series '" + serie + "'; PosSync writes orders to 12.0 and 13.0 only", null);
    };
  }

  @Override
  public int authenticate() throws OdooFailure {
    // An empty user_agent_env: with base_location an admin's login rewrites web.base.url (§1.2).
    Object answer = call(common, "authenticate", connection.database(), connection.login(),
        connection.password(), new LinkedHashMap<String, Object>());
    if (answer instanceof Integer uid && uid > 0) {
      return uid;
    }
    if (Boolean.FALSE.equals(answer)) {
      throw new OdooFailure(Kind.AUTHENTICATION, 0, scrub("Odoo refused login '"
          + connection.login() + "' on database '" + connection.database() + "': wrong login or"
          + " password, or the login cool-down after repeated failures"), null);
    }
    throw unexpected("authenticate", answer);
  }

  @Override
  public List<Integer> createFromUi(int uid, OdooVersion version, JsonObject paidOrder)
      throws OdooFailure {
    Map<String, Object> order = PaidOrderEncoder.encode(paidOrder, version);
    List<Object> orders = List.of(order);
    // 13.0 takes [orders, draft]; 12.0's signature has no draft and faults on one (§1.5).
    List<Object> args = version == OdooVersion.V13 ? List.of(orders, Boolean.FALSE)
        : List.of(orders);
    Object answer = executeKw(uid, "pos.order", "create_from_ui", args, new LinkedHashMap<>());
    if (!(answer instanceof Object[] created)) {
      throw unexpected("create_from_ui", answer);
    }
    // 12.0 answers new ids, 13.0 {id, pos_reference} structs (§1.5); either shape is accepted
    // from either series, since by now the order is committed.
    List<Integer> ids = new ArrayList<>(created.length);
    for (Object o : created) {
      if (o instanceof Integer id) {
        ids.add(id);
      } else if (o instanceof Map<?, ?> m && m.get("id") instanceof Integer id) {
        ids.add(id);
      } else {
        throw unexpected("create_from_ui", answer);
      }
    }
    return List.copyOf(ids);
  }

  @Override
  public List<FoundOrder> findByReference(int uid, String posReference) throws OdooFailure {
    List<Object> domain = List.of(List.of("pos_reference", "=",
        PaidOrderEncoder.xmlSafe(posReference)));
    Map<String, Object> kwargs = new LinkedHashMap<>();
    kwargs.put("fields", FOUND_ORDER_FIELDS);
    Object answer = executeKw(uid, "pos.order", "search_read", List.of(domain), kwargs);
    if (!(answer instanceof Object[] records)) {
      throw unexpected("search_read", answer);
    }
    List<FoundOrder> found = new ArrayList<>(records.length);
    for (Object r : records) {
      if (!(r instanceof Map<?, ?> m) || !(m.get("id") instanceof Integer id)) {
        throw unexpected("search_read", answer);
      }
      // Empty fields come back as False and a Many2one as [id, display name] (§1.4).
      Integer sessionId = null;
      String sessionName = null;
      if (m.get("session_id") instanceof Object[] session && session.length == 2
          && session[0] instanceof Integer sid) {
        sessionId = sid;
        sessionName = session[1] instanceof String s ? s : null;
      }
      found.add(new FoundOrder(id, string(m.get("pos_reference")), string(m.get("state")),
          sessionId, sessionName,
          m.get("amount_total") instanceof Number n ? n.doubleValue() : null));
    }
    return List.copyOf(found);
  }

  private static String string(Object o) {
    return o instanceof String s ? s : null;
  }

  private Object executeKw(int uid, String model, String method, List<Object> args,
      Map<String, Object> kwargs) throws OdooFailure {
    // kwargs carry no context: Odoo then answers in English, and nothing secret goes along.
    return call(object, "execute_kw", connection.database(), uid, connection.password(), model,
        method, args, kwargs);
  }

  private Object call(XmlRpcClientConfigImpl endpoint, String method, Object... params)
      throws OdooFailure {
    if (LOG.isDebugEnabled()) {
      LOG.debug("odoo={} call={} url={}", connection.name(), method, endpoint.getServerURL());
    }
    try {
      return rpc.execute(endpoint, method, params);
    } catch (TransportFailure e) {
      throw new OdooFailure(e.kind(), 0, scrub(e.getMessage()), e);
    } catch (OdooFault f) {
      FaultClassifier.Verdict v = FaultClassifier.classify(f.code, f.faultString());
      String message = v.kind() == Kind.AUTHENTICATION
          ? "Odoo refused login '" + connection.login() + "' on database '"
              + connection.database() + "': " + v.message()
          : v.message();
      // The cause keeps the whole traceback for the log, with the password scrubbed as well.
      throw new OdooFailure(v.kind(), f.code, scrub(message),
          new XmlRpcException(f.code, scrub(f.faultString())));
    } catch (XmlRpcException | RuntimeException e) {
      // Anything else fails before the request leaves (the transport classifies the rest), or
      // is a parse the library itself refused: neither is something a retry fixes.
      throw new OdooFailure(Kind.MISCONFIGURED, 0,
          scrub("calling " + method + " on " + endpoint.getServerURL() + " failed: " + e), e);
    }
  }

  private OdooFailure unexpected(String method, Object answer) {
    return new OdooFailure(Kind.MISCONFIGURED, 0, "unexpected answer to " + method + " from "
        + connection.url() + ": " + describe(answer) + "; is this Odoo 12.0 or 13.0?", null);
  }

  private static String describe(Object answer) {
    if (answer == null) {
      return "nothing";
    }
    if (answer instanceof Object[] a) {
      return "an array of " + a.length;
    }
    return "a " + answer.getClass().getSimpleName();
  }

  /** Odoo's own text or a library's could, however unlikely, echo the password. */
  private String scrub(String message) {
    String password = connection.password();
    if (message == null || password == null || password.isEmpty()) {
      return message;
    }
    return message.replace(password, "********");
  }

  /**
   * Apache's type factory without any parser for the extensions namespace, whatever the config
   * says: {@code ex:serializable} is Java deserialization and Odoo sends no ex: types (§1.4).
   */
  private static final class NoExtensionsTypeFactory extends TypeFactoryImpl {
    NoExtensionsTypeFactory(XmlRpcClient client) {
      super(client);
    }

    @Override
    public TypeParser getParser(XmlRpcStreamConfig config, NamespaceContextImpl context,
        String uri, String localName) {
      if (XmlRpcWriter.EXTENSIONS_URI.equals(uri)) {
        return null; // the parser then refuses the answer: "unknown type"
      }
      return super.getParser(config, context, uri, localName);
    }
  }
}
