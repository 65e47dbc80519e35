package io.possync.bench;

import io.possync.terminal.OrderEditor;
import io.possync.terminal.OrderView;
import io.possync.terminal.TerminalConfig;
import io.possync.terminal.TerminalRuntime;
import io.possync.terminal.TerminalStats;
import io.possync.terminal.Timing;
import io.possync.terminal.VirtualTerminal;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load generator: M multi-sessions of N virtual POS terminals each ({@link VirtualTerminal}, the
 * real client protocol over real HTTP) against an already running PosSync. Every terminal owns one
 * draft order and keeps changing a line quantity in it; each change is one
 * {@code update_order} that the server broadcasts to the N terminals of the multi-session through
 * their held polls. Run through {@code scripts/bench}; {@code --help} explains the options and
 * the figures.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    usageHelpWidth = 100,
    description = {
        "Runs M multi-sessions x N virtual POS terminals (the pos_multi_session client protocol",
        "over real HTTP) against an already running PosSync and measures it.",
        "",
        "Each terminal loads (sync_all), starts its bus (a held /longpolling/poll, a PING), then",
        "owns one draft order and keeps changing a line quantity in it: one update_order per",
        "change, which the server broadcasts to all N terminals of the multi-session.",
        "",
        "Figures over the measured window (after the warm-up):",
        "  updates/s    acknowledged update_order answers per second",
        "  round trip   update_order sent -> its answer received",
        "  fan-out      update_order sent -> EVERY other terminal of its multi-session has the",
        "               broadcast through its poll (p50/p99/max); 'each delivery': per receiver",
        "  held polls   terminals with a poll outstanding (sampled every 0.5 s)",
        "  connections  established TCP connections to the server port (/proc/net/tcp)",
        "  server heap  with --server-pid: jcmd PID GC.heap_info after the run, before and after",
        "               jcmd PID GC.run (the live set), and a live baseline before the start",
        "  cpu          cores used by the server (--server-pid) and by this generator, which",
        "               share the machine, and how busy the whole machine was",
        "",
        "Sanity checks at the end: handler errors and conflict popups must be 0 (else exit code",
        "1); gaps, sync_alls, failed requests and incomplete fan-outs are printed.",
        ""},
    footer = {"",
        "Examples:",
        "  scripts/bench --sessions 100 --terminals 5 --duration 20           # full speed",
        "  scripts/bench --sessions 100 --terminals 5 --rate 1000 --duration 20",
        "  scripts/bench --sessions 1000 --terminals 5 --idle --duration 20 --server-pid PID",
        "",
        "Exit codes: 0 sane, 1 a sanity check failed or terminals did not start, 2 bad options."})
public final class LoadBenchmark implements Callable<Integer> {
  @Option(names = "--url", paramLabel = "URL[,URL...]", defaultValue = "http://127.0.0.1:8079",
      split = ",", description = "The server, as a POS's sync_server with scheme (default:"
          + " ${DEFAULT-VALUE}); several cluster nodes, comma-separated, get each request of"
          + " each terminal at random, as from a load balancer without stickiness.")
  List<URI> urls;
  /** The first node: the terminals' sync_server, and the one probed for connections. */
  URI url;

  @Option(names = {"-M", "--sessions"}, paramLabel = "M", defaultValue = "100",
      description = "Multi-sessions (default: ${DEFAULT-VALUE}).")
  int sessions;

  @Option(names = {"-N", "--terminals"}, paramLabel = "N", defaultValue = "5",
      description = "Terminals per multi-session (default: ${DEFAULT-VALUE}).")
  int terminals;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
      description = {"Target total update_orders per second, open loop: changes are scheduled"
          + " at R/s round-robin over the terminals whether or not earlier ones were answered"
          + " (a change made while the terminal's previous update is unanswered goes out with"
          + " the next one, as on a POS).",
          "0 (default): as fast as the terminals go; each terminal changes its order again as"
              + " soon as its previous update is answered (closed loop)."})
  double rate;

  @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "20",
      description = "Measured window (default: ${DEFAULT-VALUE}).")
  int duration;

  @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "5",
      description = "Load before the measured window, not counted (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--idle",
      description = "Idle mode: only start the terminals and hold their polls; no updates.")
  boolean idle;

  @Option(names = "--server-pid", paramLabel = "PID",
      description = "Server process id: read its heap with jcmd (this forces full GCs in the"
          + " server: before the start and after the run, never inside the window) and its CPU"
          + " time. Must run as the same user.")
  Long serverPid;

  @Option(names = "--quiet-wait", paramLabel = "SECONDS", defaultValue = "0",
      description = "Before starting, wait up to this long for the machine to be quiet (under"
          + " 15%% CPU busy over 1 s), so that other work does not skew the figures; 0: do not"
          + " wait (default: ${DEFAULT-VALUE}). The CPU use of the machine is printed either way.")
  int quietWait;

  @Option(names = "--lines", paramLabel = "L", defaultValue = "3",
      description = "Lines per order (default: ${DEFAULT-VALUE}).")
  int lines;

  @Option(names = "--client", paramLabel = "jetty|jdk", defaultValue = "jetty",
      description = "HTTP client of the terminals: jetty (Jetty's HttpClient, cheap) or jdk"
          + " (java.net.http, what the tests use) (default: ${DEFAULT-VALUE}).")
  String client;

  @Option(names = "--workers", paramLabel = "W",
      description = "Threads that run the terminals' callbacks (default: the number of cores;"
          + " more only add context switches).")
  Integer workers;

  @Option(names = "--dbname", paramLabel = "DB",
      description = "dbname the terminals send (default: bench-<time>, new for every run, so"
          + " that a run never meets the orders of an earlier one on the same server).")
  String dbname;

  @Option(names = "--start-batch", paramLabel = "K", defaultValue = "250",
      description = "Terminals started at once (default: ${DEFAULT-VALUE}).")
  int startBatch;

  @Option(names = "--start-timeout", paramLabel = "SECONDS", defaultValue = "120",
      description = "Give up if the terminals are not all loaded and polling by then"
          + " (default: ${DEFAULT-VALUE}).")
  int startTimeout;

  @Option(names = "--drain", paramLabel = "SECONDS", defaultValue = "10",
      description = "After the window, wait at most this long for answers and broadcasts"
          + " still on their way (default: ${DEFAULT-VALUE}).")
  int drain;

  @Option(names = "--max-updates", paramLabel = "COUNT", defaultValue = "20000000",
      description = "Stop generating after this many update_orders in all (default:"
          + " ${DEFAULT-VALUE}).")
  long maxUpdates;

  private final PrintStream out;

  public LoadBenchmark() {
    this(System.out);
  }

  LoadBenchmark(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadBenchmark()).execute(args));
  }

  /** One terminal of the run and the order it keeps changing. */
  private static final class Seat {
    final VirtualTerminal terminal;
    final int session;
    final int index;
    String orderUid;
    int step; // guarded by the terminal's lock (only touched inside edit)

    Seat(VirtualTerminal terminal, int session, int index) {
      this.terminal = terminal;
      this.session = session;
      this.index = index;
    }

    /** One change: the next line's quantity cycles through 1..9, so it always differs. */
    void change(OrderEditor e) {
      List<OrderView.Line> ls = e.lines();
      OrderView.Line line = ls.get(step++ % ls.size());
      e.setQuantity(line.uid(), BigDecimal.valueOf(line.qty().intValue() % 9 + 1));
    }
  }

  @Override
  public Integer call() throws Exception {
    url = urls.get(0);
    if (sessions < 1 || terminals < 1 || rate < 0 || duration < 1 || warmup < 0 || lines < 1
        || (workers != null && workers < 1) || startBatch < 1 || startTimeout < 1 || drain < 0
        || maxUpdates < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "sessions, terminals, duration, lines, workers, start-batch, start-timeout must be"
              + " >= 1; rate, warmup, drain, max-updates >= 0");
    }
    TerminalRuntime.Client httpClient = switch (client.toLowerCase(Locale.ROOT)) {
      case "jetty" -> TerminalRuntime.Client.JETTY;
      case "jdk" -> TerminalRuntime.Client.JDK;
      default -> throw new CommandLine.ParameterException(new CommandLine(this),
          "--client must be jetty or jdk");
    };
    if (workers == null) {
      workers = Runtime.getRuntime().availableProcessors();
    }
    String db = dbname != null ? dbname
        : "bench-" + Long.toString(System.currentTimeMillis(), 36);
    int total = sessions * terminals;
    // A hard stop for the whole process, whatever happens: every phase below is bounded too.
    long hardLimitSeconds = startTimeout + warmup + duration + drain + 120L;
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(TimeUnit.SECONDS.toMillis(hardLimitSeconds));
        System.err.println("bench: watchdog: still running after " + hardLimitSeconds
            + " s; halting");
        Runtime.getRuntime().halt(3);
      } catch (InterruptedException done) {
        // finished in time
      }
    }, "bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      return run(db, total, httpClient);
    } finally {
      watchdog.interrupt();
    }
  }

  private int run(String db, int total, TerminalRuntime.Client httpClient) throws Exception {
    String mode = idle ? "idle (hold polls, no updates)"
        : rate > 0 ? String.format(Locale.ROOT, "open loop at %,.0f updates/s", rate)
        : "full speed (closed loop per terminal)";
    out.printf(Locale.ROOT, "PosSync load benchmark%n");
    out.printf(Locale.ROOT, "  server      %s  dbname=%s%n",
        urls.size() > 1 ? urls + " (each request to one at random)" : url, db);
    out.printf(Locale.ROOT, "  terminals   %d multi-sessions x %d = %d  (client %s, %d workers,"
        + " %d order lines)%n", sessions, terminals, total, client, workers, lines);
    out.printf(Locale.ROOT, "  mode        %s; warm-up %d s, measured %d s%n", mode, warmup,
        duration);
    out.printf(Locale.ROOT, "  machine     %d cores, %s %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"));

    double busyBefore = machineBusyBefore(quietWait);
    if (busyBefore >= 0) {
      out.printf(Locale.ROOT, "  machine before the start: %.0f%% CPU busy%s%n", busyBefore * 100,
          busyBefore > 0.15 ? " (other work is running: figures may be skewed)" : "");
    }
    ServerProbe probe = serverPid == null ? null : new ServerProbe(serverPid);
    Optional<ServerProbe.Heap> baseline = Optional.empty();
    OptionalLong maxHeap = OptionalLong.empty();
    if (probe != null) {
      maxHeap = probe.maxHeapBytes();
      baseline = probe.liveHeap();
      baseline.ifPresent(h -> out.printf(Locale.ROOT,
          "  server heap before the run: %.1f MB live after full GC%n", h.usedMb()));
    }

    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-sampler");
      t.setDaemon(true);
      return t;
    });
    List<Seat> seats = new ArrayList<>(total);
    Map<VirtualTerminal, FanOutTracker.Seat> seatOf = new IdentityHashMap<>();
    try (TerminalRuntime runtime = new TerminalRuntime(workers, httpClient,
        urls.size() > 1 ? urls : List.of())) {
      for (int m = 0; m < sessions; m++) {
        for (int i = 0; i < terminals; i++) {
          long pos = (long) m * terminals + i + 1; // unique per dbname: terminals are keyed so
          TerminalConfig config = TerminalConfig.of(url, db, m + 1, pos, pos, pos)
              .withNames("Bench POS " + pos, "Cashier " + pos)
              .withTiming(Timing.REAL)
              .withKeepHistory(false);
          VirtualTerminal t = runtime.terminal(config);
          seats.add(new Seat(t, m, i));
          seatOf.put(t, new FanOutTracker.Seat(m, i));
        }
      }
      FanOutTracker tracker = new FanOutTracker(seatOf, terminals - 1);
      seats.forEach(s -> s.terminal.addListener(tracker));

      // --- start: load every terminal, in batches, until all poll -------------------------
      long t0 = System.nanoTime();
      long startDeadline = t0 + TimeUnit.SECONDS.toNanos(startTimeout);
      for (int from = 0; from < total; from += startBatch) {
        List<CompletableFuture<Void>> loading = new ArrayList<>();
        for (Seat s : seats.subList(from, Math.min(total, from + startBatch))) {
          loading.add(s.terminal.start());
        }
        try {
          CompletableFuture.allOf(loading.toArray(CompletableFuture[]::new))
              .get(Math.max(1, startDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          out.printf(Locale.ROOT, "FAILED: only %d of %d terminals loaded within %d s%n",
              seats.stream().filter(s -> s.terminal.isLoaded()).count(), total, startTimeout);
          return 1;
        }
      }
      // Settled: the bus is online and the full sync_all it triggers has come back through the
      // bus (the loading one was answered inline). An order created before that payload arrives
      // would be destroyed by it, as on a real POS (destroy_removed_orders).
      boolean settled = awaitUntil(startDeadline, () -> seats.stream().allMatch(
          s -> s.terminal.isBusOnline() && s.terminal.isIdle() && s.terminal.isPollOutstanding()
              && s.terminal.stats().syncAllsReceived() >= 2));
      if (!idle) {
        for (Seat s : seats) {
          s.orderUid = s.terminal.newOrder();
          s.terminal.edit(s.orderUid, e -> {
            for (int l = 0; l < lines; l++) {
              e.addProduct(100 + l, 1.5 + l);
            }
          });
        }
        settled = awaitUntil(startDeadline, () -> seats.stream().allMatch(
            s -> s.terminal.isIdle() && s.terminal.isPollOutstanding()));
      }
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      long polling = seats.stream().filter(s -> s.terminal.isPollOutstanding()).count();
      out.printf(Locale.ROOT, "start: %d terminals loaded%s in %.1f s; %d polls outstanding%n",
          total, idle ? "" : " and their orders created", startSeconds, polling);
      if (!settled) {
        out.printf(Locale.ROOT, "FAILED: terminals not idle and polling within %d s%n",
            startTimeout);
        return 1;
      }
      Totals before = Totals.of(seats);

      // --- the run ------------------------------------------------------------------------
      long start = System.nanoTime();
      long windowStart = start + TimeUnit.SECONDS.toNanos(warmup);
      long windowEnd = windowStart + TimeUnit.SECONDS.toNanos(duration);
      tracker.window(windowStart, windowEnd);
      PollSamples polls = new PollSamples();
      sampler.scheduleAtFixedRate(() -> {
        long now = System.nanoTime();
        if (now >= windowStart && now < windowEnd) {
          polls.add((int) seats.stream().filter(s -> s.terminal.isPollOutstanding()).count());
        }
      }, 250, 500, TimeUnit.MILLISECONDS);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong generatorErrors = new AtomicLong();
      AtomicLong changes = new AtomicLong();
      long[] cpu0 = new long[3];
      // CPU counters at the window start, read on the sampler thread right then.
      sampler.schedule(() -> {
        cpu0[0] = probe == null ? -1 : probe.serverCpuNanos().orElse(-1);
        cpu0[1] = ServerProbe.selfCpuNanos();
        cpu0[2] = System.nanoTime();
      }, windowStart - System.nanoTime(), TimeUnit.NANOSECONDS);
      long[] machineStart = new long[2];
      sampler.schedule(() -> {
        long[] m = ServerProbe.machineCpu();
        if (m != null) {
          machineStart[0] = m[0];
          machineStart[1] = m[1];
        }
      }, windowStart - System.nanoTime(), TimeUnit.NANOSECONDS);

      if (idle) {
        sleepUntil(windowEnd);
      } else if (rate > 0) {
        openLoop(seats, windowEnd, stop, changes, generatorErrors);
      } else {
        closedLoop(seats, windowEnd, stop, changes, generatorErrors);
      }
      stop.set(true);
      long[] cpu1 = {probe == null ? -1 : probe.serverCpuNanos().orElse(-1),
          ServerProbe.selfCpuNanos(), System.nanoTime()};
      long[] machineEnd = ServerProbe.machineCpu();
      int pollsAtEnd = (int) seats.stream().filter(s -> s.terminal.isPollOutstanding()).count();

      // --- drain: answers and broadcasts still on their way -------------------------------
      long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drain);
      boolean drained = awaitUntil(drainDeadline, () -> tracker.pendingFanOuts() == 0
          && seats.stream().allMatch(s -> s.terminal.isIdle()));
      sampler.shutdownNow();
      int serverConnections = isLoopback(url) ? ServerProbe.establishedTo(port(url)) : -1;
      Totals after = Totals.of(seats);
      FanOutTracker.Measured r = tracker.result();

      Optional<ServerProbe.Heap> heapBeforeGc = Optional.empty();
      Optional<ServerProbe.Heap> heapLive = Optional.empty();
      if (probe != null) {
        heapBeforeGc = probe.heap();
        heapLive = probe.liveHeap();
      }

      // --- report -------------------------------------------------------------------------
      double window = duration;
      out.printf(Locale.ROOT, "%nResults (measured window %d s)%n", duration);
      double updatesPerSecond = r.acked() / window;
      if (!idle) {
        out.printf(Locale.ROOT, "  updates/s          %,10.1f   (%,d acknowledged, %,d sent, %,d"
            + " failed in the window; %,d changes made)%n", updatesPerSecond, r.acked(),
            r.sent(), r.failed(), changes.get());
        out.printf(Locale.ROOT, "  round trip         %s%n", latencies(r.roundTrip()));
        out.printf(Locale.ROOT, "  fan-out to all %d   %s%n", terminals - 1,
            latencies(r.complete()));
        out.printf(Locale.ROOT, "  each delivery      %s%n", latencies(r.delivery()));
      }
      out.printf(Locale.ROOT, "  held polls         %,d of %,d terminals at the window's end"
          + " (window: min %,d, mean %,.0f over %d samples)%n", pollsAtEnd, total, polls.min(),
          polls.mean(), polls.count());
      if (!idle) {
        long answers = after.pollsAnswered - before.pollsAnswered;
        long messages = after.messagesReceived - before.messagesReceived;
        double run = (cpu1[2] - start) / 1e9;
        out.printf(Locale.ROOT, "  poll answers/s     %,10.1f   (%.2f multi-session messages per"
            + " answer; warm-up included)%n", answers / run,
            answers == 0 ? 0.0 : (double) messages / answers);
      }
      if (serverConnections >= 0) {
        out.printf(Locale.ROOT, "  connections        %,d established to port %d after the run"
            + " (polls + idle keep-alive)%n", serverConnections, port(url));
      }
      if (probe != null) {
        String max = maxHeap.isPresent()
            ? String.format(Locale.ROOT, "; -Xmx %.0f MB", maxHeap.getAsLong() / 1048576.0) : "";
        out.printf(Locale.ROOT, "  server heap        %s live after full GC, %s used before it"
            + " (baseline %s live%s)%n",
            heapLive.map(h -> mb(h.usedMb())).orElse("?"),
            heapBeforeGc.map(h -> mb(h.usedMb()) + " of " + mb(h.committedMb()) + " committed")
                .orElse("?"),
            baseline.map(h -> mb(h.usedMb())).orElse("?"), max);
        if (heapLive.isPresent() && baseline.isPresent() && total > 0) {
          out.printf(Locale.ROOT, "                     %.1f KB live per terminal above the"
              + " baseline%n", (heapLive.get().usedBytes() - baseline.get().usedBytes())
              / 1024.0 / total);
        }
      }
      double wall = (cpu1[2] - cpu0[2]) / 1e9;
      if (cpu0[2] != 0 && wall > 0) {
        String server = cpu0[0] >= 0 && cpu1[0] >= 0
            ? String.format(Locale.ROOT, "server %.2f cores, ", (cpu1[0] - cpu0[0]) / 1e9 / wall)
            : "";
        double generator = (cpu1[1] - cpu0[1]) / 1e9 / wall;
        String machine = "";
        if (machineEnd != null && machineStart[1] > 0) {
          double busy = (double) (machineEnd[0] - machineStart[0])
              / Math.max(1, machineEnd[1] - machineStart[1]);
          int cores = Runtime.getRuntime().availableProcessors();
          machine = String.format(Locale.ROOT, "; machine %.0f%% busy", busy * 100);
          if (cpu0[0] >= 0 && cpu1[0] >= 0) {
            double others = busy * cores - generator - (cpu1[0] - cpu0[0]) / 1e9 / wall;
            machine += String.format(Locale.ROOT, ", other processes and the kernel %.2f cores",
                Math.max(0, others));
          }
        }
        out.printf(Locale.ROOT, "  cpu                %sgenerator %.2f cores%s%n", server,
            generator, machine);
        if (!idle && cpu0[0] >= 0 && cpu1[0] >= 0) {
          double both = generator + (cpu1[0] - cpu0[0]) / 1e9 / wall;
          out.printf(Locale.ROOT, "  efficiency         %,.0f updates/s per core used by server +"
              + " generator (%.0f us of CPU per update, both together)%n",
              updatesPerSecond / both, both * 1e6 / Math.max(1, updatesPerSecond));
        }
      }

      Totals d = after.minus(before);
      out.printf(Locale.ROOT, "%nSanity%n");
      out.printf(Locale.ROOT, "  handler errors %d, conflict popups %d, generator errors %d%n",
          after.handlerErrors, after.conflictPopups, generatorErrors.get());
      out.printf(Locale.ROOT, "  revision errors %d, offline popups %d, failed requests %d"
          + " (all since start)%n", after.revisionErrors, after.offlinePopups,
          after.requestsFailed);
      out.printf(Locale.ROOT, "  gaps %d, sync_alls sent %d / received %d during the run"
          + " (%d / %d at start)%n", d.gaps, d.syncAllsSent, d.syncAllsReceived, before.syncAllsSent,
          before.syncAllsReceived);
      if (!idle) {
        out.printf(Locale.ROOT, "  incomplete fan-outs %d, duplicate deliveries %d%s%n",
            r.incomplete(), r.duplicates(), drained ? "" : " (drain timed out)");
      }
      Optional<Throwable> anError = seats.stream()
          .map(s -> s.terminal.lastHandlerError()).flatMap(Optional::stream).findFirst();
      anError.ifPresent(e -> out.printf(Locale.ROOT, "  a handler error: %s%n", e));
      RuntimeException generatorFailure = firstGeneratorError;
      if (generatorFailure != null) {
        out.printf(Locale.ROOT, "  a generator error: %s%n", generatorFailure);
      }
      boolean sane = after.handlerErrors == 0 && after.conflictPopups == 0
          && generatorErrors.get() == 0 && r.duplicates() == 0;
      out.printf(Locale.ROOT, "  %s%n", sane ? "OK" : "FAILED");

      out.printf(Locale.ROOT, "%nRESULT mode=%s sessions=%d terminals=%d rate=%s updates_per_s=%.1f"
          + " fanout_p50_ms=%s fanout_p99_ms=%s fanout_max_ms=%s held_polls=%d heap_live_mb=%s"
          + " gaps=%d sync_alls=%d handler_errors=%d conflict_popups=%d%n",
          idle ? "idle" : rate > 0 ? "rate" : "full", sessions, terminals,
          rate > 0 ? String.format(Locale.ROOT, "%.0f", rate) : "max", updatesPerSecond,
          ms(r.complete(), 50), ms(r.complete(), 99), ms(r.complete(), 100), pollsAtEnd,
          heapLive.map(h -> String.format(Locale.ROOT, "%.1f", h.usedMb())).orElse("na"),
          d.gaps, d.syncAllsSent, after.handlerErrors, after.conflictPopups);
      seats.forEach(s -> s.terminal.close());
      return sane ? 0 : 1;
    } finally {
      sampler.shutdownNow();
    }
  }

  /**
   * Full speed: every terminal changes its order, waits until the update is answered (the
   * terminal is idle again), then changes it again, until the end.
   */
  private void closedLoop(List<Seat> seats, long end, AtomicBoolean stop, AtomicLong changes,
      AtomicLong errors) {
    for (Seat s : seats) {
      step(s, end, stop, changes, errors, new CompletableFuture<>());
    }
    sleepUntil(end);
    stop.set(true);
  }

  private void step(Seat s, long end, AtomicBoolean stop, AtomicLong changes, AtomicLong errors,
      CompletableFuture<Void> done) {
    while (true) {
      if (stop.get() || System.nanoTime() >= end || changes.get() >= maxUpdates) {
        done.complete(null);
        return;
      }
      CompletableFuture<Void> answered;
      try {
        s.terminal.edit(s.orderUid, s::change);
        changes.incrementAndGet();
        answered = s.terminal.whenIdle();
      } catch (RuntimeException e) {
        generatorError(e);
        errors.incrementAndGet();
        done.complete(null);
        return;
      }
      if (!answered.isDone()) {
        // Runs on the worker that handled the answer, right after the terminal's lock is free.
        answered.whenComplete((v, e) -> {
          if (e != null) {
            done.complete(null);
          } else {
            step(s, end, stop, changes, errors, done);
          }
        });
        return;
      }
      // Already idle (nothing was sent?): loop instead of recursing.
    }
  }

  /**
   * Open loop: one change every 1/rate s, round-robin over the terminals in a shuffled order, on
   * one thread that catches up if it falls behind.
   */
  private void openLoop(List<Seat> seats, long end, AtomicBoolean stop, AtomicLong changes,
      AtomicLong errors) {
    List<Seat> order = new ArrayList<>(seats);
    Collections.shuffle(order, new Random(42));
    long interval = Math.max(1, (long) (1e9 / rate));
    long next = System.nanoTime();
    int i = 0;
    while (!stop.get() && changes.get() < maxUpdates) {
      long now = System.nanoTime();
      if (now >= end) {
        break;
      }
      if (next > now) {
        LockSupport.parkNanos(Math.min(next - now, end - now));
        continue;
      }
      Seat s = order.get(i++ % order.size());
      try {
        s.terminal.edit(s.orderUid, s::change);
        changes.incrementAndGet();
      } catch (RuntimeException e) {
        generatorError(e);
        errors.incrementAndGet();
      }
      next += interval;
    }
  }

  /** The first error of the generator itself (a change it could not make), for the report. */
  private volatile RuntimeException firstGeneratorError;

  private void generatorError(RuntimeException e) {
    if (firstGeneratorError == null) {
      firstGeneratorError = e;
    }
  }

  /** Sums of the terminals' counters. */
  private record Totals(long handlerErrors, long conflictPopups, long revisionErrors,
      long offlinePopups, long requestsFailed, long gaps, long syncAllsSent,
      long syncAllsReceived, long pollsAnswered, long messagesReceived) {
    static Totals of(List<Seat> seats) {
      long[] v = new long[10];
      for (Seat s : seats) {
        TerminalStats st = s.terminal.stats();
        v[0] += st.handlerErrors();
        v[1] += st.conflictPopups();
        v[2] += st.revisionErrors();
        v[3] += st.offlinePopups();
        v[4] += st.requestsFailed();
        v[5] += st.gapsDetected();
        v[6] += st.syncAllsSent();
        v[7] += st.syncAllsReceived();
        v[8] += st.pollsAnswered();
        v[9] += st.messagesReceived();
      }
      return new Totals(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
    }

    Totals minus(Totals o) {
      return new Totals(handlerErrors - o.handlerErrors, conflictPopups - o.conflictPopups,
          revisionErrors - o.revisionErrors, offlinePopups - o.offlinePopups,
          requestsFailed - o.requestsFailed, gaps - o.gaps, syncAllsSent - o.syncAllsSent,
          syncAllsReceived - o.syncAllsReceived, pollsAnswered - o.pollsAnswered,
          messagesReceived - o.messagesReceived);
    }
  }

  /** Samples of the number of polls outstanding. */
  private static final class PollSamples {
    private int count;
    private int min = Integer.MAX_VALUE;
    private long sum;

    synchronized void add(int value) {
      count++;
      min = Math.min(min, value);
      sum += value;
    }

    synchronized int min() {
      return count == 0 ? 0 : min;
    }

    synchronized double mean() {
      return count == 0 ? 0 : (double) sum / count;
    }

    synchronized int count() {
      return count;
    }
  }

  private static String latencies(Histogram h) {
    if (h.getTotalCount() == 0) {
      return "no samples";
    }
    return String.format(Locale.ROOT, "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s ms  (n=%,d)",
        ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), ms(h, 100), h.getTotalCount());
  }

  private static String ms(Histogram h, double percentile) {
    if (h.getTotalCount() == 0) {
      return "na";
    }
    long micros = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
    return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
  }

  private static String mb(double value) {
    return String.format(Locale.ROOT, "%.1f MB", value);
  }

  /**
   * The machine's CPU use over 1 s (0..1), after waiting up to {@code waitSeconds} for it to drop
   * under 15%; -1 if /proc/stat cannot be read.
   */
  private static double machineBusyBefore(int waitSeconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
    while (true) {
      long[] a = ServerProbe.machineCpu();
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
      long[] b = ServerProbe.machineCpu();
      if (a == null || b == null) {
        return -1;
      }
      double busy = (double) (b[0] - a[0]) / Math.max(1, b[1] - a[1]);
      if (busy < 0.15 || System.nanoTime() >= deadline) {
        return busy;
      }
    }
  }

  private static boolean awaitUntil(long deadlineNanos, BooleanSupplier condition) {
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() >= deadlineNanos) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  private static void sleepUntil(long deadlineNanos) {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static boolean isLoopback(URI u) {
    String h = u.getHost();
    return h != null && (h.startsWith("127.") || h.equals("localhost") || h.equals("[::1]"));
  }

  private static int port(URI u) {
    return u.getPort() > 0 ? u.getPort() : 80;
  }
}
