package io.possync.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.DiskSpaceMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.possync.bus.BusListener;
import io.possync.bus.Bus;
import io.possync.http.RequestListener;
import io.possync.odoo.OdooFailure;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxListener;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.pipeline.CommitListener;
import io.possync.pipeline.DecisionListener;
import io.possync.pipeline.Pipeline;
import io.possync.sync.Action;
import io.possync.sync.Verdict;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's meters in one Prometheus registry, read with {@link #scrape()}. The parts never see
 * Micrometer: they report through small listener interfaces of their own ({@link RequestListener},
 * {@link BusListener}, {@link CommitListener}, {@link OutboxListener}), all implemented here, and
 * the gauges read the running parts at scrape time.
 *
 * <p>Every label is bounded: routes, actions, outcomes, states and failure kinds are fixed sets;
 * databases are the configured ones; terminals ({@code possync_sync_all_total}) are few per shop,
 * and beyond {@link #MAX_TERMINAL_SERIES} they are counted together as {@code other}.
 */
public final class Metrics implements RequestListener, DecisionListener, BusListener, CommitListener,
    OutboxListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Metrics.class);
  /** Most (db, pos) series of {@code possync_sync_all_total}; later terminals share one. */
  static final int MAX_TERMINAL_SERIES = 1000;
  private static final int MAX_LABEL_CHARS = 64;
  /** Histogram buckets of the latencies: a LAN round trip is a few ms, a POS gives up at 60 s. */
  private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2),
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Clock clock;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final ConcurrentMap<String, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> updates;
  private final Map<String, Counter> revisionErrors;
  private final Counter merges;
  private final ConcurrentMap<String, Counter> syncAlls = new ConcurrentHashMap<>();
  private final Counter published;
  private final Timer fanOut;
  private final Timer commit;
  private final DistributionSummary batch;
  private final Counter commitFailures;
  private final ConcurrentMap<String, Counter> outboxFailures = new ConcurrentHashMap<>();
  private final MultiGauge outboxEntries;
  private final MultiGauge outboxOldest;
  private volatile Watched watched;

  /** The parts the gauges read. */
  private record Watched(OutboxStore outbox, List<String> dbnames) {}

  /**
   * @param clock the clock outbox entries are stamped with (their age is read against it)
   */
  public Metrics(Clock clock) {
    this.clock = clock;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);

    Map<String, Timer> u = new ConcurrentHashMap<>();
    Map<String, Counter> r = new ConcurrentHashMap<>();
    for (String action : java.util.Arrays.stream(Action.values()).map(Action::wire).toList()) {
      u.put(action, Timer.builder("possync.update")
          .description("Updates from terminals, from reading the request to the commit of what"
              + " was decided")
          .tag("action", action).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
      r.put(action, Counter.builder("possync.revision.errors")
          .description("Updates answered with a revision conflict (revision_error)")
          .tag("action", action).register(registry));
    }
    this.updates = Map.copyOf(u);
    this.revisionErrors = Map.copyOf(r);
    this.merges = Counter.builder("possync.merges")
        .description("Late updates merged with the changes made meanwhile instead of refused")
        .register(registry);
    this.published = Counter.builder("possync.notifications.published")
        .description("Notifications made pollable").register(registry);
    this.fanOut = Timer.builder("possync.fanout")
        .description("From a publication to the answer of a poll that waited for it")
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    this.commit = Timer.builder("possync.store.commit")
        .description("Group commits: one transaction of the single writer")
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    this.batch = DistributionSummary.builder("possync.store.commit.batch.size")
        .description("Outcomes made durable by one group commit")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024).register(registry);
    this.commitFailures = Counter.builder("possync.store.commit.failures")
        .description("Group commits that failed (disk full, I/O error); nothing was acknowledged")
        .register(registry);
    this.outboxEntries = MultiGauge.builder("possync.outbox.entries")
        .description("Outbox entries by POS dbname and state").register(registry);
    this.outboxOldest = MultiGauge.builder("possync.outbox.oldest.pending.age")
        .description("Age of the oldest paid order still waiting to be written to Odoo (0: none)")
        .baseUnit("seconds").register(registry);
  }

  /**
   * Registers the gauges that read the running node; called once by the wiring.
   *
   * @param outboxDbnames the POS dbnames that have an Odoo backend
   */
  void watch(Bus bus, Pipeline pipeline, OutboxStore outbox, Path dataDir,
      List<String> outboxDbnames) {
    Gauge.builder("possync.polls.held", bus, Bus::heldPolls)
        .description("Polls parked, waiting for a notification or their timeout")
        .strongReference(true).register(registry);
    Gauge.builder("possync.multisessions.hot", pipeline, Pipeline::multiSessionCount)
        .description("Multi-sessions held in memory").strongReference(true).register(registry);
    if (dataDir != null) { // a cluster node keeps its state in PostgreSQL, not on this disk
      new DiskSpaceMetrics(dataDir.toFile()).bindTo(registry);
    }
    watched = new Watched(outbox, List.copyOf(outboxDbnames));
    refreshOutbox();
  }

  /**
   * A cluster node's own meters: its name (so that each node's series can be told apart, whatever
   * the scraper's labels) and whether its bus reads the shared table now.
   */
  void watchCluster(String nodeName, java.util.function.BooleanSupplier following) {
    Gauge.builder("possync.cluster.node.info", () -> 1.0)
        .description("This node's name in the cluster (store.kind=postgresql)")
        .tag("node", nodeName).strongReference(true).register(registry);
    Gauge.builder("possync.cluster.bus.following", () -> following.getAsBoolean() ? 1 : 0)
        .description("1 while this node's bus reads the shared notification table, 0 while the"
            + " database is away (polls answered from memory only)")
        .strongReference(true).register(registry);
  }

  /** The meters in the Prometheus text format (version 0.0.4). */
  public String scrape() {
    refreshOutbox();
    return registry.scrape();
  }

  /** Outbox gauges are read from the store at scrape time: a query per scrape, not per change. */
  private synchronized void refreshOutbox() {
    Watched w = watched;
    if (w == null) {
      return;
    }
    try {
      Map<String, Map<OutboxState, Integer>> counts = w.outbox().counts();
      Set<String> dbnames = new TreeSet<>(w.dbnames());
      dbnames.addAll(counts.keySet());
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      for (String db : dbnames) {
        Map<OutboxState, Integer> byState = counts.getOrDefault(db, Map.of());
        for (OutboxState state : OutboxState.values()) {
          rows.add(MultiGauge.Row.of(Tags.of("db", label(db), "state", state.wire()),
              byState.getOrDefault(state, 0)));
        }
      }
      outboxEntries.register(rows, true);
      long now = clock.millis();
      List<MultiGauge.Row<?>> ages = new ArrayList<>();
      for (String db : w.dbnames()) {
        double age = w.outbox().nextPending(db, OutboxEntry.Kind.DELIVER)
            .map(row -> Math.max(0, now - row.createdAt()) / 1000.0).orElse(0.0);
        ages.add(MultiGauge.Row.of(Tags.of("db", label(db)), age));
      }
      outboxOldest.register(ages, true);
    } catch (RuntimeException e) {
      // The last values stay; a scrape must not fail because the store is busy or full.
      LOG.warn("event=metrics_outbox_unreadable error={}", e.toString());
    }
  }

  // --- RequestListener ----------------------------------------------------------------------

  @Override
  public void answered(String route, String outcome) {
    requests.computeIfAbsent(route + ' ' + outcome, k -> Counter.builder("possync.requests")
        .description("Requests answered, by route and outcome (ok, or the error's name)")
        .tags("route", route, "outcome", outcome).register(registry)).increment();
  }

  // --- DecisionListener ---------------------------------------------------------------------

  @Override
  public void decided(Action action, Verdict verdict, long nanos) {
    updates.get(action.wire()).record(Duration.ofNanos(nanos));
    if (verdict == Verdict.REFUSED) {
      revisionErrors.get(action.wire()).increment();
    } else if (verdict == Verdict.MERGED) {
      merges.increment();
    }
  }

  @Override
  public void syncAll(String dbname, long posId) {
    String key = dbname + '\u0000' + posId;
    Counter c = syncAlls.get(key);
    if (c == null) {
      c = syncAlls.size() < MAX_TERMINAL_SERIES
          ? syncAlls.computeIfAbsent(key, k -> syncAllCounter(label(dbname),
              Long.toString(posId)))
          : syncAllCounter("other", "other");
    }
    c.increment();
  }

  private Counter syncAllCounter(String db, String pos) {
    return Counter.builder("possync.sync.all")
        .description("Full resyncs (sync_all) asked by each terminal (POS config)")
        .tags("db", db, "pos", pos).register(registry);
  }

  // --- BusListener --------------------------------------------------------------------------

  @Override
  public void published(int count) {
    published.increment(count);
  }

  @Override
  public void delivered(long nanos) {
    fanOut.record(Duration.ofNanos(nanos));
  }

  // --- CommitListener -----------------------------------------------------------------------

  @Override
  public void committed(int outcomes, long nanos) {
    commit.record(Duration.ofNanos(nanos));
    batch.record(outcomes);
  }

  @Override
  public void commitFailed(int outcomes) {
    commitFailures.increment();
  }

  // --- OutboxListener -----------------------------------------------------------------------

  @Override
  public void deliveryFailed(String dbname, String k) {
    outboxFailures.computeIfAbsent(dbname + ' ' + k, key -> Counter.builder(
            "possync.outbox.failures")
        .description("Calls to Odoo that failed, by POS dbname and what the failure means")
        .tags("db", label(dbname), "kind", k).register(registry)).increment();
  }

  /** Database names come from terminals: keep a label short whatever they send. */
  private static String label(String value) {
    return value.length() <= MAX_LABEL_CHARS ? value : value.substring(0, MAX_LABEL_CHARS);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
