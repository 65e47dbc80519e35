package io.possync.app;

import io.possync.bus.Bus;
import io.possync.bus.ClusterBus;
import io.possync.bus.InMemoryBus;
import io.possync.config.Settings;
import io.possync.http.AccessTokens;
import io.possync.http.AdminServer;
import io.possync.http.PollActivity;
import io.possync.http.PosSyncServer;
import io.possync.http.ServerCertificate;
import io.possync.http.StatusReport;
import io.possync.http.TrafficHistory;
import io.possync.odoo.OdooClientFactory;
import io.possync.odoo.OdooConnection;
import io.possync.odoo.OutboxWorker;
import io.possync.odoo.XmlRpcOdooClient;
import io.possync.outbox.OutboxStore;
import io.possync.pipeline.GroupCommitter;
import io.possync.pipeline.Pipeline;
import io.possync.store.PostgresStore;
import io.possync.store.SqliteStore;
import io.possync.store.Store;
import io.possync.store.TokenTables;
import io.possync.sync.MultiSessionRules;
import io.possync.sync.Terminals;
import io.possync.time.SystemScheduler;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole PosSync node: store, bus, multi-session state, the POS listener and the admin listener
 * (status page, metrics, health), wired from settings. Start-up restores the bus from the store
 * so that ids continue and retained notifications stay pollable across restarts
 * (docs/protocol.md §4.4).
 */
public final class PosSync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PosSync.class);
  /** Outcomes waiting for the writer at most; beyond it deciding threads wait. */
  private static final int COMMIT_QUEUE = 65_536;

  private final Settings settings;
  private final Clock clock;
  private final Store store;
  /** The token table of either store. */
  private final TokenTables tokens;
  /** Null on one node. */
  private final PostgresStore cluster;
  /** Null on one node; set by {@link #start()}, once the POS port (part of its name) is bound. */
  private volatile ClusterNode clusterNode;
  private final Bus bus;
  /** Poll timeouts and retention sweeps: short tasks on one timer thread. */
  private final SystemScheduler timers;
  private final GroupCommitter committer;
  private final Pipeline pipeline;
  private final PosSyncServer server;
  private final AdminServer admin;
  private final OutboxStore outboxStore;
  private final SystemScheduler outboxTimer;
  private final OutboxWorker outbox;
  private final Metrics metrics;

  /**
   * Opens the store and wires the node; nothing listens until {@link #start()}.
   *
   * @throws io.possync.store.StoreException if the data directory cannot be used
   * @throws io.possync.config.SettingsException naming the setting when a password or the HTTPS
   *     certificate cannot be read
   */
  public PosSync(Settings settings, Clock clock) {
    this(settings, clock, System.getenv(), XmlRpcOdooClient::new);
  }

  /**
   * @param env     where {@code odoo.<name>.password_env} and {@code tls.keystore_password_env}
   *                are read
   * @param clients makes the client of each configured Odoo backend
   */
  public PosSync(Settings settings, Clock clock, Map<String, String> env,
      OdooClientFactory clients) {
    this.settings = settings;
    Exposure.check(settings);
    OdooBackends odoo = OdooBackends.resolve(settings.odoo().backends(),
        settings.reconcile().enabled(), env);
    // Read before the store is opened: a bad certificate stops the start with nothing to undo.
    ServerCertificate certificate = null;
    if (settings.tls().enabled()) {
      certificate = ServerCertificate.load(settings.tls(), env);
    } else if (settings.tls().hasCertificateSettings()) {
      LOG.warn("event=tls_off message='tls.port is 0: no HTTPS listener, the tls.* certificate"
          + " settings are not used'");
    }
    this.clock = clock;
    OutboxStore outboxTables;
    if (settings.store().clustered()) {
      this.cluster = PostgresStore.open(settings.store().url(), settings.store().user(),
          StorePassword.resolve(settings.store(), env), settings.store().poolSize(),
          settings.store().nodeName());
      this.store = cluster;
      this.tokens = cluster.tokens();
      outboxTables = cluster.outbox();
    } else {
      SqliteStore sqlite = SqliteStore.open(settings.store().dataDir(),
          SettingsTypes.syncPolicy(settings.store().sync()), settings.store().maxBytes());
      this.cluster = null;
      this.store = sqlite;
      this.tokens = sqlite.tokens();
      outboxTables = sqlite.outbox();
    }
    // The parts report to the metrics through listener interfaces of their own (docs/architecture.md: only app
    // knows Micrometer).
    this.metrics = new Metrics(clock);
    this.timers = new SystemScheduler(clock, "possync-timers");
    InMemoryBus local = new InMemoryBus(timers, settings.retention().notifications(),
        settings.retention().notificationBytes(), settings.poll().maxHeld(), metrics);
    // In a cluster the node's bus mirrors the notifications every node commits.
    this.bus = cluster == null ? local : new ClusterBus(local, new PostgresBusFeed(cluster));
    try {
      bus.restore(store.lastNotificationId(),
          store.notificationsSince(clock.millis() - settings.retention().notifications().toMillis(),
              settings.retention().notificationBytes()));
    } catch (RuntimeException e) {
      timers.close();
      metrics.close();
      store.close();
      throw e;
    }
    this.committer = new GroupCommitter(store, bus, clock, COMMIT_QUEUE, metrics);
    // SQLite has one writer, the committer's thread; PostgreSQL takes writes from any thread.
    this.outboxStore = cluster == null ? new OutboxStoreOnWriter(outboxTables, committer)
        : outboxTables;
    Terminals terminals = new Terminals(cluster != null);
    MultiSessionRules rules = new MultiSessionRules(terminals, odoo,
        SettingsTypes.conflictPolicy(settings.sync().conflicts()), clock);
    this.pipeline = new Pipeline(store, bus, committer, rules, terminals, clock,
        settings.state().hotBytes(), settings.access().maxLines(), COMMIT_QUEUE, metrics);
    PollActivity activity = new PollActivity(clock, settings.poll().timeout(),
        settings.admin().offlineAfter());
    TrafficHistory traffic = new TrafficHistory(clock);
    this.server = new PosSyncServer(settings, certificate, pipeline, hash -> tokens
        .token(hash).map(t -> new AccessTokens.Binding(t.dbname(), t.multiSessionId(),
            t.revokedAt() != null)), activity, traffic, metrics);
    this.admin = new AdminServer(settings.admin(), new NodeStatus(settings, clock, pipeline, bus,
        store, outboxStore, committer, activity, traffic, server::port, this::clusterStatus),
        metrics::scrape);
    List<OutboxWorker.Backend> backends = new ArrayList<>();
    for (OdooConnection c : odoo.connections()) {
      backends.add(new OutboxWorker.Backend(c, clients.create(c, settings.odoo().connectTimeout(),
          settings.odoo().replyTimeout())));
    }
    // Its own timer thread: a pass waits on Odoo for up to the reply timeout, and must not hold
    // up the bus's timers meanwhile.
    this.outboxTimer = new SystemScheduler(clock, "possync-outbox");
    this.outbox = new OutboxWorker(outboxStore, outboxTimer, backends, settings.outbox().retryMin(),
        settings.outbox().retryMax(), settings.reconcile().delay(), metrics);
    if (cluster != null) {
      outbox.deliveringOnlyWhen(db -> clusterNode != null && clusterNode.mayDeliver(db));
    }
    metrics.watch(bus, pipeline, outboxStore, cluster == null ? settings.store().dataDir() : null,
        odoo.connections().stream().map(OdooConnection::posDbname).toList());
  }

  /** Starts listening and the periodic retention sweeps. */
  public PosSync start() throws Exception {
    try {
      server.start();
    } catch (IOException e) {
      throw new IOException("POS listener (http.host, http.port) cannot listen on "
          + settings.http().host() + ":" + settings.http().port() + ": "
          + StartChecks.explain(e, "--port"), e);
    }
    try {
      admin.start();
    } catch (IOException e) {
      throw new IOException(StartChecks.explain(e, "--admin-port"), e);
    }
    if (cluster != null) {
      clusterNode = new ClusterNode(nodeName(), cluster.cluster(), clock);
      clusterNode.start();
      ((ClusterBus) bus).start();
      metrics.watchCluster(clusterNode.name(), ((ClusterBus) bus)::following);
    }
    outbox.start();
    timers.every(java.time.Duration.ofSeconds(10), this::sweep);
    LOG.info("event=started host={} port={} tls_host={} tls_port={} path_prefix='{}'"
            + " poll_timeout_s={} store={} sync={} last_notification_id={} admin={}:{}"
            + " admin_auth={}",
        settings.http().host(), server.port(),
        settings.tls().enabled() ? settings.tls().host() : "-",
        settings.tls().enabled() ? server.tlsPort() : "-", settings.http().pathPrefix(),
        settings.poll().timeout().toSeconds(), storeDescription(),
        settings.store().clustered() ? "-" : settings.store().sync(), bus.lastId(),
        settings.admin().host(), admin.port(),
        settings.admin().hasToken() ? "token" : "none");
    return this;
  }

  /** Applies retention (decision D4) in memory and in the store. */
  public void sweep() {
    try {
      long now = clock.millis();
      bus.sweep();
      pipeline.purgeOldOrders(settings.retention().orders());
      committer.submit(() -> store.purge(now - settings.retention().notifications().toMillis(),
          now - settings.retention().orders().toMillis()));
    } catch (RuntimeException e) {
      LOG.error("event=sweep_failed error={}", e.toString(), e);
    }
  }

  /**
   * The drain phase of a stop ({@code http.drain}): held polls are answered, new ones answered at
   * once, updates still taken, for a moment; then the listener can close without a poll sent just
   * before being left unanswered until the terminal's own timeout.
   */
  private void drain() {
    long millis = settings.http().drain().toMillis();
    if (millis == 0) {
      return;
    }
    LOG.info("event=draining seconds={}", settings.http().drain().toSeconds());
    pipeline.drain();
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Where the state is, for the start line: the data directory, or the cluster's database. */
  private String storeDescription() {
    if (clusterNode != null) {
      String url = settings.store().url();
      int query = url.indexOf('?');
      return "postgresql:" + (query < 0 ? url : url.substring(0, query)) + " node="
          + clusterNode.name();
    }
    return settings.store().dataDir().toAbsolutePath().toString();
  }

  /** {@code cluster.node_name}, else the host name and the POS port. */
  private String nodeName() {
    if (!settings.store().nodeName().isEmpty()) {
      return settings.store().nodeName();
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    return host + ":" + server.port();
  }

  /** The status page's cluster section; null on a node of its own. */
  private StatusReport.Cluster clusterStatus() {
    ClusterNode member = clusterNode;
    if (cluster == null || member == null) {
      return null;
    }
    return member.status(((ClusterBus) bus).following());
  }

  /** This node's cluster membership, or empty on one node (status page, tests). */
  public java.util.Optional<ClusterNode> clusterNode() {
    return java.util.Optional.ofNullable(clusterNode);
  }

  public int port() {
    return server.port();
  }

  /** The HTTPS port actually bound, or 0 when there is no HTTPS listener. */
  public int tlsPort() {
    return server.tlsPort();
  }

  /** The port of the admin listener (status page, metrics, health), as bound. */
  public int adminPort() {
    return admin.port();
  }

  public Bus bus() {
    return bus;
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  /** The Odoo write-back worker, for tests that drive it pass by pass. */
  public OutboxWorker outbox() {
    return outbox;
  }

  public Store store() {
    return store;
  }

  /** The outbox as the worker sees it (writes run on the store's writer), for tests. */
  public OutboxStore outboxStore() {
    return outboxStore;
  }

  /** The node's meters; {@code metrics()::scrape} serves them in the Prometheus text format. */
  public Metrics metrics() {
    return metrics;
  }

  public GroupCommitter committer() {
    return committer;
  }

  public void join() throws InterruptedException {
    server.join();
  }

  /** Stops listening, commits what is queued and closes the store. */
  @Override
  public void close() throws Exception {
    try {
      drain();
      bus.releaseAll(); // held polls get their (empty) answer instead of a dropped connection
      server.stop();
    } finally {
      try {
        admin.stop();
      } catch (Exception e) {
        LOG.warn("event=admin_stop_failed error={}", e.toString());
      }
      outboxTimer.close(); // interrupts a pass waiting on Odoo
      outbox.close();
      timers.close();
      committer.close();
      if (bus instanceof ClusterBus b) {
        b.close();
      }
      if (clusterNode != null) {
        clusterNode.close(); // gives the outbox leases up: another node takes over at once
      }
      store.close();
      metrics.close();
      LOG.info("event=stopped");
    }
  }
}
