package io.possync.odoo;

import io.possync.odoo.OdooFailure.Kind;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpRetryException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.URLConnection;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;
import org.apache.xmlrpc.client.XmlRpcSunHttpTransport;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;

/**
 * Apache's JDK-{@code HttpURLConnection} transport for one call, made safe for Odoo: redirects
 * are not followed, both timeouts are set (3.1.3's Sun transport sets neither), answers are
 * parsed by {@link HardenedSax} and {@link StrictResponseParser}, and every failure is
 * classified by how far the call got (docs/odoo-backend.md §5): before the connection was made
 * nothing reached Odoo; after the request was sent Odoo may have committed it.
 */
final class OdooHttpTransport extends XmlRpcSunHttpTransport {
  /** Answers PosSync asks for are a few KB; anything this large is not Odoo talking to us. */
  static final int MAX_ANSWER_BYTES = 16 << 20;

  private final int connectTimeoutMillis;
  private final int replyTimeoutMillis;
  private URL url;

  OdooHttpTransport(XmlRpcClient client, int connectTimeoutMillis, int replyTimeoutMillis) {
    super(client);
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.replyTimeoutMillis = replyTimeoutMillis;
  }

  @Override
  protected URLConnection newURLConnection(URL url) throws IOException {
    this.url = url;
    URLConnection c = url.openConnection();
    if (!(c instanceof HttpURLConnection http)) {
      throw new IOException("not an HTTP URL: " + url);
    }
    // A 302 would be followed as a GET without body and a 301 to https not at all
    // (docs/odoo-backend.md §5 row 5a, §7.5): following none makes every redirect one clear configuration error.
    http.setInstanceFollowRedirects(false);
    http.setConnectTimeout(connectTimeoutMillis);
    http.setReadTimeout(replyTimeoutMillis);
    // TLS: the JDK's default trust store and hostname verification are left exactly as they are.
    return http;
  }

  /**
   * Apache always knows the length (contentLengthOptional=false). Streaming the body with it,
   * rather than letting the JDK buffer it, also stops the JDK from silently sending the POST a
   * second time when reading the answer fails: a retried create_from_ui is the outbox's decision,
   * after a look-up by pos_reference (docs/odoo-backend.md §2.7).
   */
  @Override
  protected void setContentLength(int length) {
    connection().setFixedLengthStreamingMode(length);
  }

  private HttpURLConnection connection() {
    return (HttpURLConnection) getURLConnection();
  }

  @Override
  protected void writeRequest(ReqWriter writer) throws IOException, XmlRpcException, SAXException {
    // Connecting first and on its own is what tells "never reached Odoo" (retry freely) from
    // "reached it, answer lost" (may be committed): the exception types alone do not.
    try {
      connection().connect();
    } catch (SSLException e) {
      if (causedBy(e, CertificateException.class)) {
        throw new TransportFailure(Kind.MISCONFIGURED, "the TLS certificate of " + url
            + " is not trusted or not valid for that host: " + e.getMessage(), e);
      }
      throw new TransportFailure(Kind.UNREACHABLE,
          "TLS handshake with " + url + " failed: " + describe(e), e);
    } catch (IOException e) {
      throw new TransportFailure(Kind.UNREACHABLE,
          "cannot connect to " + url + ": " + describe(e), e);
    }
    try {
      super.writeRequest(writer);
    } catch (IOException e) {
      throw new TransportFailure(Kind.AMBIGUOUS,
          "sending the request to " + url + " failed: " + describe(e), e);
    }
  }

  @Override
  protected InputStream getInputStream() throws XmlRpcException {
    HttpURLConnection c = connection();
    int status;
    try {
      status = c.getResponseCode();
    } catch (HttpRetryException e) {
      // In streaming mode a 401 or 407 surfaces as this exception rather than as a status.
      throw statusFailure(c, e.responseCode());
    } catch (SocketTimeoutException e) {
      throw new TransportFailure(Kind.AMBIGUOUS, "no answer from " + url + " within the reply"
          + " timeout of " + replyTimeoutMillis + " ms; Odoo may still commit the call", e);
    } catch (IOException e) {
      throw new TransportFailure(Kind.AMBIGUOUS, "the connection to " + url
          + " failed before Odoo answered; Odoo may have committed the call: " + describe(e), e);
    }
    if (status >= 200 && status <= 299) {
      try {
        return c.getInputStream();
      } catch (IOException e) {
        throw new TransportFailure(Kind.AMBIGUOUS,
            "reading the answer from " + url + " failed: " + describe(e), e);
      }
    }
    throw statusFailure(c, status);
  }

  /**
   * Odoo answers every XML-RPC call, fault or not, with 200 (docs/odoo-backend.md §1.1): any other
   * status comes from something in front of it, and says how far the call got.
   */
  private TransportFailure statusFailure(HttpURLConnection c, int status) {
    String reason = status + " " + responseMessage(c);
    XmlRpcHttpTransportException cause = new XmlRpcHttpTransportException(status, reason);
    if (status >= 300 && status <= 399) {
      String location = c.getHeaderField("Location");
      return new TransportFailure(Kind.MISCONFIGURED, url + " answered " + reason
          + (location == null ? "" : " to " + location)
          + "; redirects are not followed: configure the final URL of the Odoo server", cause);
    }
    Kind kind = switch (status) {
      case 502, 503, 408 -> Kind.UNREACHABLE; // the proxy did not hand the call to Odoo
      case 429 -> Kind.BUSY;
      case 413 -> Kind.ORDER_REJECTED; // this body is too large for the proxy; others may pass
      default -> status >= 500 ? Kind.AMBIGUOUS : Kind.MISCONFIGURED; // 504, 500 after forwarding
    };
    return new TransportFailure(kind, url + " answered HTTP " + reason
        + (kind == Kind.AMBIGUOUS ? "; Odoo may have committed the call" : ""), cause);
  }

  private static String responseMessage(HttpURLConnection c) {
    try {
      String m = c.getResponseMessage();
      return m == null ? "" : m;
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  protected XMLReader newXMLReader() throws XmlRpcException {
    return HardenedSax.newXMLReader();
  }

  /**
   * Parses the answer with the hardened reader and the strict parser. A failing read of the
   * socket is told apart from an unparseable document by watching the stream: the first means
   * the answer was lost (AMBIGUOUS), the second that something other than Odoo answered.
   */
  @Override
  protected Object readResponse(XmlRpcStreamRequestConfig config, InputStream body)
      throws XmlRpcException {
    WatchedStream watched = new WatchedStream(body);
    StrictResponseParser parser = new StrictResponseParser(config, getClient().getTypeFactory());
    XMLReader reader = newXMLReader();
    reader.setContentHandler(parser);
    try {
      reader.parse(new InputSource(watched));
    } catch (SAXException | IOException | RuntimeException e) {
      if (watched.readFailure != null) {
        throw new TransportFailure(Kind.AMBIGUOUS, "the answer from " + url + " was cut off;"
            + " Odoo may have committed the call: " + describe(watched.readFailure),
            watched.readFailure);
      }
      if (watched.tooLarge) {
        throw new TransportFailure(Kind.MISCONFIGURED, "the answer from " + url
            + " is larger than " + MAX_ANSWER_BYTES + " bytes; that is not Odoo's XML-RPC", e);
      }
      throw new TransportFailure(Kind.MISCONFIGURED,
          "the answer from " + url + " is not Odoo XML-RPC: " + e.getMessage(), e);
    }
    if (parser.carriedFaultCause()) {
      throw new TransportFailure(Kind.MISCONFIGURED, "the fault from " + url
          + " carries a serialized Java faultCause, which Odoo never sends; it was not read", null);
    }
    if (parser.isSuccess()) {
      return parser.getResult();
    }
    throw new OdooFault(parser.getErrorCode(), parser.getErrorMessage());
  }

  private static String describe(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** Remembers whether reading the socket failed, and bounds the answer's size. */
  private static final class WatchedStream extends FilterInputStream {
    private long count;
    IOException readFailure;
    boolean tooLarge;

    WatchedStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = watch(() -> super.read());
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = watch(() -> super.read(buf, off, len));
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    private void counted(int n) throws IOException {
      count += n;
      if (count > MAX_ANSWER_BYTES) {
        tooLarge = true;
        throw new IOException("answer too large");
      }
    }

    private int watch(IoRead read) throws IOException {
      try {
        return read.run();
      } catch (IOException e) {
        readFailure = e;
        throw e;
      }
    }

    @FunctionalInterface
    private interface IoRead {
      int run() throws IOException;
    }
  }
}
