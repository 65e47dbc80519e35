package io.possync.http;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bare HTTP/1.1 client on one keep-alive socket, for the fuzzer and the keep-alive tests: it
 * sends request bytes exactly as given (odd methods, paths, framing, several requests at once)
 * and reads answers one by one, which the JDK client would refuse to do. It opens a new socket
 * only when the server ended the previous one (or it idled too long). Not thread-safe; one per
 * thread.
 */
final class RawHttp implements AutoCloseable {
  /** Bodies above this are cut when read (the fuzzer never expects one so large). */
  private static final int MAX_ANSWER_BYTES = 64 << 20;

  /** One answer; {@code headers} keys are lower case. */
  record Answer(int status, String statusLine, Map<String, List<String>> headers, byte[] body,
      boolean serverClosed) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** The server closed the connection (or never answered) before a complete answer. */
  static final class NoAnswerException extends IOException {
    NoAnswerException(String message) {
      super(message);
    }
  }

  private final int port;
  private final int connectTimeoutMillis;
  private final javax.net.SocketFactory sockets;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  /**
   * A kept socket idle longer than this is left before the next request: below the POS
   * listener's idle timeout (poll.timeout + 30 s) with the shortest poll.timeout tests use, 1 s.
   */
  private static final long IDLE_LIMIT_NANOS = 20_000_000_000L;

  /** Requests sent on the current socket (a keep-alive close race is only possible after one). */
  private int usedOnSocket;
  private long lastUsed;
  private int opened;
  /** How often a kept socket was left for having been idle too long. */
  int idleReopened;
  /** What the previous exchange on this socket was, for diagnosing closed connections. */
  String previous = "";
  /** The last exchanges on this socket (request bytes, answer), for failure reports. */
  private final java.util.ArrayDeque<Object[]> history = new java.util.ArrayDeque<>();

  RawHttp(int port, int connectTimeoutMillis) {
    this(port, connectTimeoutMillis, javax.net.SocketFactory.getDefault());
  }

  /** Over sockets of {@code sockets}: TLS (HTTP/1.1, no ALPN offered) for the HTTPS listener. */
  RawHttp(int port, int connectTimeoutMillis, javax.net.SocketFactory sockets) {
    this.port = port;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.sockets = sockets;
  }

  /**
   * Sends {@code request} and reads the answer within {@code readTimeoutMillis} of silence.
   *
   * @param head whether the request was a HEAD (its answer has headers only)
   */
  Answer exchange(byte[] request, boolean head, int readTimeoutMillis) throws IOException {
    if (socket != null && System.nanoTime() - lastUsed > IDLE_LIMIT_NANOS) {
      // The server may rightly close a connection idle this long: leave it first.
      close();
      idleReopened++;
    }
    send(request);
    return read(head, readTimeoutMillis);
  }

  /** Writes requests without reading their answers (pipelining); {@link #read} reads them. */
  void send(byte[] requests) throws IOException {
    if (socket == null) {
      open();
    }
    usedOnSocket++;
    try {
      out.write(requests);
      out.flush();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Reads the next answer on the current socket, in the order the requests were sent. */
  Answer read(boolean head, int readTimeoutMillis) throws IOException {
    if (socket == null) {
      throw new NoAnswerException("no connection to read from");
    }
    try {
      socket.setSoTimeout(readTimeoutMillis);
      Answer a = readAnswer(head);
      lastUsed = System.nanoTime();
      if (a.serverClosed() || "close".equalsIgnoreCase(a.header("connection"))) {
        close();
      }
      return a;
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Sockets opened so far (one per connection the server kept). */
  int opened() {
    return opened;
  }

  /** Whether the current socket already carried a request. */
  boolean reused() {
    return socket != null && usedOnSocket > 0;
  }

  /**
   * For bytes that are not a well-formed request: sends them on a fresh socket, half-closes it and
   * reads whatever comes back until the server closes. Returns the answer if one came, else null.
   */
  static Answer sendGarbage(int port, byte[] bytes, int timeoutMillis) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      try {
        s.getOutputStream().write(bytes);
        s.getOutputStream().flush();
        s.shutdownOutput();
      } catch (IOException closedEarly) {
        // the server may refuse and close before reading everything
      }
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      InputStream in = s.getInputStream();
      try {
        for (int n; (n = in.read(buf)) >= 0 && all.size() < MAX_ANSWER_BYTES; ) {
          all.write(buf, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new NoAnswerException("the server neither answered nor closed within "
            + timeoutMillis + " ms");
      } catch (IOException reset) {
        // a reset after (or instead of) the answer is fine for garbage
      }
      byte[] got = all.toByteArray();
      if (got.length < 12 || !new String(got, 0, 5, StandardCharsets.ISO_8859_1).equals("HTTP/")) {
        return got.length == 0 ? null
            : new Answer(-1, new String(got, 0, Math.min(80, got.length), StandardCharsets.ISO_8859_1),
                Map.of(), got, true);
      }
      String head = new String(got, StandardCharsets.ISO_8859_1);
      int eol = head.indexOf("\r\n");
      String statusLine = eol < 0 ? head : head.substring(0, eol);
      return new Answer(parseStatus(statusLine), statusLine, Map.of(), got, true);
    }
  }

  void remember(byte[] request, Answer answer) {
    history.addLast(new Object[] {request, answer});
    if (history.size() > 4) {
      history.removeFirst();
    }
  }

  /** The remembered exchanges, oldest first, shortened. */
  String history() {
    StringBuilder sb = new StringBuilder();
    for (Object[] e : history) {
      Answer a = (Answer) e[1];
      sb.append("      > ").append(FuzzInputs.shorten((byte[]) e[0], 300)).append("\n      < ")
          .append(a.statusLine()).append(' ').append(FuzzInputs.shorten(a.body(), 200)).append('\n');
    }
    return sb.toString();
  }

  private void open() throws IOException {
    Socket s = sockets.createSocket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), connectTimeoutMillis);
    socket = s;
    in = new java.io.BufferedInputStream(s.getInputStream(), 65536);
    out = new java.io.BufferedOutputStream(s.getOutputStream(), 65536);
    usedOnSocket = 0;
    history.clear();
    lastUsed = System.nanoTime();
    opened++;
  }

  private Answer readAnswer(boolean head) throws IOException {
    while (true) {
      String statusLine = readLine(true);
      int status = parseStatus(statusLine);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (String line = readLine(false); !line.isEmpty(); line = readLine(false)) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
          throw new IOException("malformed answer header: " + line);
        }
        headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
      }
      if (status >= 100 && status < 200) {
        continue; // 100 Continue: the real answer follows
      }
      List<String> te = headers.get("transfer-encoding");
      List<String> cl = headers.get("content-length");
      byte[] body;
      boolean closed = false;
      if (head || status == 204 || status == 304) {
        body = new byte[0];
      } else if (te != null && te.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"))) {
        body = readChunked();
      } else if (cl != null) {
        long length = Long.parseLong(cl.get(0));
        if (length > MAX_ANSWER_BYTES) {
          throw new IOException("answer of " + length + " bytes");
        }
        body = in.readNBytes((int) length);
        if (body.length < length) {
          throw new NoAnswerException("answer cut after " + body.length + " of " + length + " bytes");
        }
      } else {
        body = in.readNBytes(MAX_ANSWER_BYTES); // until the server closes
        closed = true;
      }
      return new Answer(status, statusLine, headers, body, closed);
    }
  }

  private byte[] readChunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(false);
      int semi = sizeLine.indexOf(';');
      int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      if (size == 0) {
        while (!readLine(false).isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(size);
      if (chunk.length < size) {
        throw new NoAnswerException("chunked answer cut");
      }
      body.write(chunk);
      readLine(false);
      if (body.size() > MAX_ANSWER_BYTES) {
        throw new IOException("chunked answer too large");
      }
    }
  }

  /** A CRLF-terminated line; at the start of an answer an immediate EOF means "no answer". */
  private String readLine(boolean first) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (first && line.size() == 0) {
          throw new NoAnswerException("the server closed the connection without an answer");
        }
        throw new EOFException("answer cut inside a header line");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
      if (line.size() > 65536) {
        throw new IOException("answer header line too long");
      }
    }
  }

  private static int parseStatus(String statusLine) throws IOException {
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP status line: " + statusLine);
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status line: " + statusLine);
    }
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null; // the history stays, for the report of what ended it
    }
  }
}
