package io.possync.app;

import io.possync.bus.Bus;
import io.possync.config.OdooBackend;
import io.possync.config.Settings;
import io.possync.http.PollActivity;
import io.possync.http.Readiness;
import io.possync.http.StatusReport;
import io.possync.http.StatusSource;
import io.possync.http.TrafficHistory;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.pipeline.GroupCommitter;
import io.possync.pipeline.Pipeline;
import io.possync.store.Store;
import io.possync.store.TerminalName;
import io.possync.sync.MultiSessionOverview;
import io.possync.sync.MultiSessionStatus;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalStatus;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * What the admin listener reports, put together from every part of the node: the multi-sessions
 * in memory, the terminals' last polls, the bus, the outbox in the store and the traffic history.
 */
final class NodeStatus implements StatusSource {
  /** Outbox entries listed on the status page. */
  static final int RECENT_OUTBOX = 20;
  /** Terminals listed per database outside a known multi-session, at most. */
  static final int MAX_OTHER_TERMINALS = 200;
  /** The readiness probe's write: about one commit of a busy multi-session. */
  static final int PROBE_BYTES = 64 * 1024;
  /** How long the readiness probe may wait for the writer. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  private final Settings settings;
  private final Clock clock;
  private final long startedAt;
  private final Pipeline pipeline;
  private final Bus bus;
  private final Store store;
  private final OutboxStore outboxStore;
  private final GroupCommitter committer;
  private final PollActivity activity;
  private final TrafficHistory traffic;
  private final IntSupplier posPort;
  /** The cluster section, or null on a node of its own. */
  private final Supplier<StatusReport.Cluster> cluster;

  /** @param posPort the port the POS listener actually bound */
  NodeStatus(Settings settings, Clock clock, Pipeline pipeline, Bus bus, Store store,
      OutboxStore outboxStore, GroupCommitter committer, PollActivity activity,
      TrafficHistory traffic, IntSupplier posPort, Supplier<StatusReport.Cluster> cluster) {
    this.settings = settings;
    this.clock = clock;
    this.startedAt = clock.millis();
    this.pipeline = pipeline;
    this.bus = bus;
    this.store = store;
    this.outboxStore = outboxStore;
    this.committer = committer;
    this.activity = activity;
    this.traffic = traffic;
    this.posPort = posPort;
    this.cluster = cluster;
  }

  @Override
  public StatusReport status() {
    long now = clock.millis();
    return new StatusReport(node(now),
        new StatusReport.Thresholds(activity.staleAfter().toSeconds(),
            activity.offlineAfter().toSeconds()),
        databases(now), outbox(),
        new StatusReport.History(TrafficHistory.STEP.toSeconds(), traffic.points()),
        cluster.get());
  }

  private StatusReport.Node node(long now) {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new StatusReport.Node(Version.VALUE, now, startedAt,
        Math.max(0, (now - startedAt) / 1000), bus.heldPolls(), bus.lastId(), heap.getUsed(),
        heap.getMax() < 0 ? Runtime.getRuntime().maxMemory() : heap.getMax(),
        settings.http().host() + ":" + posPort.getAsInt(), settings.access().mode().toString());
  }

  private List<StatusReport.Database> databases(long now) {
    Map<TerminalKey, TerminalName> names = new HashMap<>();
    for (TerminalName n : store.terminalNames()) {
      names.put(new TerminalKey(n.dbname(), n.posId()), n);
    }
    Map<String, List<StatusReport.MultiSession>> byDb = new TreeMap<>();
    Set<TerminalKey> listed = new HashSet<>();
    for (MultiSessionOverview o : pipeline.hotMultiSessions()) {
      String db = o.key().dbname();
      List<StatusReport.Terminal> terminals = new ArrayList<>(o.terminals().size());
      for (TerminalStatus t : o.terminals()) {
        TerminalKey key = new TerminalKey(db, t.posId());
        listed.add(key);
        Long last = activity.lastPoll(key).orElse(null);
        TerminalName name = names.get(key);
        terminals.add(new StatusReport.Terminal(t.posId(), t.userId(), t.messageId(), last,
            activity.presence(last, now).wire(), name == null ? null : name.posName(),
            name == null ? null : name.cashier()));
      }
      MultiSessionStatus s = o.status();
      byDb.computeIfAbsent(db, k -> new ArrayList<>()).add(new StatusReport.MultiSession(
          o.key().multiSessionId(), s.runId(), s.orderId(), s.drafts(), s.orders(),
          List.copyOf(terminals)));
    }
    Map<String, List<StatusReport.Terminal>> others = new TreeMap<>();
    activity.lastPolls().entrySet().stream()
        .filter(e -> !listed.contains(e.getKey()))
        .sorted(Map.Entry.<TerminalKey, Long>comparingByValue().reversed())
        .forEach(e -> {
          List<StatusReport.Terminal> list =
              others.computeIfAbsent(e.getKey().dbname(), k -> new ArrayList<>());
          if (list.size() < MAX_OTHER_TERMINALS) {
            TerminalName name = names.get(e.getKey());
            list.add(new StatusReport.Terminal(e.getKey().posId(), null, null, e.getValue(),
                activity.presence(e.getValue(), now).wire(), name == null ? null : name.posName(),
                name == null ? null : name.cashier()));
          }
        });
    Set<String> dbnames = new TreeSet<>(byDb.keySet());
    dbnames.addAll(others.keySet());
    List<StatusReport.Database> out = new ArrayList<>(dbnames.size());
    for (String db : dbnames) {
      List<StatusReport.Terminal> other = new ArrayList<>(others.getOrDefault(db, List.of()));
      other.sort(Comparator.comparingLong(StatusReport.Terminal::posId));
      out.add(new StatusReport.Database(db, byDb.getOrDefault(db, List.of()), other));
    }
    return out;
  }

  private StatusReport.Outbox outbox() {
    Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
    outboxStore.counts().forEach((db, byState) -> {
      Map<String, Integer> named = new LinkedHashMap<>();
      for (OutboxState s : OutboxState.values()) {
        Integer n = byState.get(s);
        if (n != null) {
          named.put(s.wire(), n);
        }
      }
      counts.put(db, named);
    });
    List<StatusReport.OutboxItem> recent = new ArrayList<>();
    for (OutboxRow r : outboxStore.list(null, null, RECENT_OUTBOX)) {
      recent.add(CliJson.item(r));
    }
    Set<String> dbnames = new TreeSet<>(outboxDatabases());
    dbnames.addAll(counts.keySet());
    List<StatusReport.Pause> paused = new ArrayList<>();
    for (String db : dbnames) {
      outboxStore.pauseOf(db).ifPresent(p -> paused.add(
          new StatusReport.Pause(db, p.reason(), p.since())));
    }
    List<StatusReport.Waiting> waiting = outboxStore.waiting().stream()
        .map(w -> new StatusReport.Waiting(w.dbname(), w.paidOrders(), w.oldestCreatedAt(),
            w.nextAttemptAt(), w.attempts(), w.lastError()))
        .toList();
    return new StatusReport.Outbox(outboxDatabases(), counts, recent, paused, waiting);
  }

  /** The POS dbnames with an Odoo write-back backend. */
  private List<String> outboxDatabases() {
    return settings.odoo().backends().stream().map(OdooBackend::posDbname).sorted().toList();
  }

  /**
   * Ready when a probe write of {@link #PROBE_BYTES} (rolled back) goes through the store's writer
   * within {@link #PROBE_TIMEOUT}: that covers a stuck or swamped writer, a full disk and a store
   * at {@code store.max_bytes}.
   */
  @Override
  public CompletableFuture<Readiness> readiness() {
    List<Readiness.OutboxDatabase> outbox = new ArrayList<>();
    try {
      for (String db : outboxDatabases()) {
        outbox.add(outboxStore.pauseOf(db)
            .map(p -> new Readiness.OutboxDatabase(db, true, p.reason(), p.since()))
            .orElse(new Readiness.OutboxDatabase(db, false, null, null)));
      }
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(new Readiness(false,
          new Readiness.StoreCheck(false, 0, "the store cannot be read: " + e.getMessage()),
          List.of()));
    }
    long start = System.nanoTime();
    return committer.trySubmit(() -> store.checkWritable(PROBE_BYTES))
        .orTimeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .handle((done, failure) -> {
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          String error = null;
          if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
            error = cause instanceof TimeoutException
                ? "the store's writer did not answer within " + PROBE_TIMEOUT.toSeconds()
                    + " s (stuck, or swamped by commits)"
                : cause.getMessage();
          }
          return new Readiness(error == null, new Readiness.StoreCheck(error == null, millis,
              error), List.copyOf(outbox));
        });
  }

}
