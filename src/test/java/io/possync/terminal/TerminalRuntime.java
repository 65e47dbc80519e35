package io.possync.terminal;

import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What many virtual terminals share: one HTTP client (one connection pool), one timer thread and
 * a small pool of worker threads that run every terminal's callbacks. No terminal owns a thread.
 */
public final class TerminalRuntime implements AutoCloseable {
  /** Which HTTP client the terminals use. Both speak HTTP/1.1 like the POS's XHRs. */
  public enum Client {
    /** java.net.http: the default, what the scenario tests run on. */
    JDK,
    /** Jetty's client: much less CPU per request; for load runs with thousands of terminals. */
    JETTY
  }

  private final HttpTransport http;
  private final ScheduledThreadPoolExecutor timers;
  private final ExecutorService workers;

  /** A runtime with as many workers as processors (at least 4). */
  public TerminalRuntime() {
    this(Math.max(4, Runtime.getRuntime().availableProcessors()));
  }

  /** A runtime on java.net.http with {@code workerThreads} workers. */
  public TerminalRuntime(int workerThreads) {
    this(workerThreads, Client.JDK);
  }

  /** A runtime with {@code workerThreads} workers on the given HTTP client. */
  public TerminalRuntime(int workerThreads, Client client) {
    this(workerThreads, client, List.of());
  }

  /**
   * A runtime whose terminals talk to a cluster through a load balancer without stickiness: each
   * request addressed to one of {@code nodes} goes to one of them picked at random, with its path
   * kept (see {@link SpreadingTransport}). With no nodes, requests go where they are addressed.
   */
  public TerminalRuntime(int workerThreads, Client client, List<URI> nodes) {
    // One held poll per terminal needs one connection each; both clients pool them.
    HttpTransport direct =
        client == Client.JETTY ? new JettyTransport(workerThreads) : new JdkTransport();
    this.http = nodes.isEmpty() ? direct : new SpreadingTransport(direct, nodes);
    this.timers = new ScheduledThreadPoolExecutor(1, daemon("terminal-timers"));
    this.timers.setRemoveOnCancelPolicy(true); // timers are re-armed on every poll answer
    this.workers = Executors.newFixedThreadPool(workerThreads, daemon("terminal-worker"));
  }

  /** Creates a terminal; {@link VirtualTerminal#start()} connects it. */
  public VirtualTerminal terminal(TerminalConfig config) {
    return new VirtualTerminal(this, config);
  }

  HttpTransport http() {
    return http;
  }

  ScheduledExecutorService timers() {
    return timers;
  }

  ExecutorService workers() {
    return workers;
  }

  @Override
  public void close() {
    timers.shutdownNow();
    workers.shutdownNow();
    http.close();
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
