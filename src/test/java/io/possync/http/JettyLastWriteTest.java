package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Jetty's own part of the keep-alive fault, without PosSync (docs/jetty.md): a bare
 * {@link Handler.Abstract} on Jetty's default, keep-alive configuration, and raw sockets that
 * alternate on one connection
 * <ol>
 *   <li>a POST whose answer an application thread writes (as PosSync's commit writer does), and</li>
 *   <li>an OPTIONS answered 204 on the Jetty thread.</li>
 * </ol>
 * Ending the 204 with {@code callback.succeeded()} alone lets Jetty write the end itself; on the
 * Jetty versions in docs/jetty.md that write's completion can land on the connection's next
 * exchange, which is then failed or answered wrongly. Ending it with an explicit
 * {@code response.write(true, ...)}, as PosSync does everywhere, must give no wrong answer.
 */
class JettyLastWriteTest {
  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(JettyLastWriteTest.class);
  private static final int CONNECTIONS = 4;
  private static final int ROUNDS = Integer.getInteger("possync.lastwrite.rounds", 2_500);

  /** What one run saw. */
  private record Outcome(long exchanges, long wrong, long broken, List<String> examples,
      double seconds) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d exchanges, %d wrong answers, %d broken connections"
          + " in %.1f s%s", exchanges, wrong, broken, seconds,
          examples.isEmpty() ? "" : ", e.g. " + examples);
    }
  }

  @Test
  void anExplicitLastWriteKeepsEveryAnswerWithItsRequest() throws Exception {
    Outcome o = run(true, ROUNDS);
    LOG.info("Jetty {} explicit last write: {}", Server.getVersion(), o);
    assertThat(o.exchanges()).isEqualTo(2L * CONNECTIONS * ROUNDS);
    assertThat(o.wrong()).as("%s", o).isZero();
    assertThat(o.broken()).as("%s", o).isZero();
  }

  /**
   * Reports, does not assert: whether this Jetty version still mis-ends the bare
   * {@code callback.succeeded()} (a later Jetty may fix it; docs/jetty.md records the versions).
   * Jetty's own logging of the damage is silenced for the run.
   */
  @Test
  void callbackSucceededAloneIsReportedForThisJettyVersion() throws Exception {
    Logger jetty = (Logger) LoggerFactory.getLogger("org.eclipse.jetty");
    Level level = jetty.getLevel();
    jetty.setLevel(Level.OFF);
    Outcome o;
    try {
      o = run(false, ROUNDS);
    } finally {
      jetty.setLevel(level);
    }
    LOG.info("Jetty {} callback.succeeded() alone: {}{}", Server.getVersion(), o,
        o.wrong() + o.broken() == 0 ? " (not reproduced in this run)"
            : " (the fault docs/jetty.md describes)");
    System.out.println("JettyLastWriteTest: Jetty " + Server.getVersion()
        + " callback.succeeded() alone: " + o);
    assertThat(o.exchanges()).as("the run got through").isPositive();
  }

  private static Outcome run(boolean explicitLastWrite, int rounds) throws Exception {
    ExecutorService app = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "lastwrite-app");
      t.setDaemon(true);
      return t;
    });
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        if ("OPTIONS".equals(request.getMethod())) {
          response.setStatus(204);
          if (explicitLastWrite) {
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
          } else {
            callback.succeeded(); // allowed by Jetty's API: it writes the empty answer itself
          }
          return true;
        }
        String id = Request.extractQueryParameters(request).getValue("id");
        IntConsumer reply = status -> app.execute(() -> {
          byte[] b = ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8);
          response.setStatus(status);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
          response.write(true, ByteBuffer.wrap(b), callback);
        });
        Content.Source.asString(request, StandardCharsets.UTF_8,
            Promise.from(body -> reply.accept(200), x -> reply.accept(400)));
        return true;
      }
    });
    server.start();
    try {
      return drive(connector.getLocalPort(), rounds);
    } finally {
      server.stop();
      app.shutdownNow();
      app.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** {@link #CONNECTIONS} keep-alive sockets, each {@code rounds} times POST then OPTIONS. */
  private static Outcome drive(int port, int rounds) throws InterruptedException {
    AtomicLong exchanges = new AtomicLong();
    AtomicLong wrong = new AtomicLong();
    AtomicLong broken = new AtomicLong();
    ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < CONNECTIONS; c++) {
      int lane = c;
      Thread t = new Thread(() -> {
        Socket s = null;
        InputStream in = null;
        OutputStream out = null;
        for (int i = 0; i < rounds; i++) {
          long id = lane * 10_000_000L + i;
          try {
            if (s == null) {
              s = new Socket();
              s.setTcpNoDelay(true);
              s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
              s.setSoTimeout(2_000);
              // One buffer per socket: an answer sent twice stays in it and is read as the next.
              in = new BufferedInputStream(s.getInputStream());
              out = s.getOutputStream();
            }
            String body = "{\"n\":" + i + "}";
            out.write(("POST /echo?id=" + id + " HTTP/1.1\r\nHost: x\r\nContent-Type:"
                + " application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String a = answer(in);
            exchanges.incrementAndGet();
            if (!a.startsWith("200") || !a.endsWith("{\"id\":" + id + "}")) {
              note(wrong, examples, "POST id=" + id + " got " + a);
            }
            out.write("OPTIONS /echo HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            a = answer(in);
            exchanges.incrementAndGet();
            if (!a.startsWith("204")) {
              note(wrong, examples, "OPTIONS after id=" + id + " got " + a);
            }
          } catch (IOException e) {
            note(broken, examples, "connection of id=" + id + ": " + e);
            close(s);
            s = null;
          }
        }
        close(s);
      }, "lastwrite-client-" + c);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(120_000);
    }
    return new Outcome(exchanges.get(), wrong.get(), broken.get(), List.copyOf(examples),
        (System.nanoTime() - start) / 1e9);
  }

  static void note(AtomicLong counter, ConcurrentLinkedQueue<String> examples,
      String what) {
    counter.incrementAndGet();
    if (examples.size() < 3) {
      examples.add(what);
    }
  }

  static void close(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // reconnecting or done
      }
    }
  }

  /** "STATUS reason | body" of one answer. */
  static String answer(InputStream in) throws IOException {
    String status = line(in);
    if (status == null) {
      throw new IOException("closed before an answer");
    }
    int length = 0;
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(h.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new IOException("answer cut");
    }
    return (status.length() > 9 ? status.substring(9) : status) + " | "
        + new String(body, StandardCharsets.UTF_8);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
