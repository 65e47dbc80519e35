package io.possync.app;

import io.possync.bus.Bus;
import io.possync.bus.InMemoryBus;
import io.possync.config.Settings;
import io.possync.http.AccessTokens;
import io.possync.http.AdminServer;
import io.possync.http.PollActivity;
import io.possync.http.PosSyncServer;
import io.possync.http.ServerCertificate;
import io.possync.http.TrafficHistory;
import io.possync.odoo.OdooClientFactory;
import io.possync.odoo.OdooConnection;
import io.possync.odoo.OutboxWorker;
import io.possync.odoo.XmlRpcOdooClient;
import io.possync.store.GroupCommitter;
import io.possync.store.SqliteStore;
import io.possync.store.Store;
import io.possync.sync.ConflictPolicy;
import io.possync.sync.SyncService;
import io.possync.time.SystemScheduler;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole PosSync node: store, bus, multi-session state, the POS listener and the admin listener
 * (status page, metrics, health), wired from settings. Start-up restores the bus from the store
 * so that ids continue and retained notifications stay pollable across restarts
 * (PROTOCOL.md §4.4).
 */
public final class PosSync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PosSync.class);
  /** Outcomes waiting for the writer at most; beyond it deciding threads wait. */
  private static final int COMMIT_QUEUE = 65_536;

  private final Settings settings;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Store store;
  private final Bus bus;
  /** The bus's poll timers and clock. */
  private final SystemScheduler pollTimers;
  private final GroupCommitter committer;
  private final SyncService sync;
  private final PosSyncServer server;
  private final AdminServer admin;
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
    OdooBackends odoo = OdooBackends.resolve(settings.odooBackends(),
        settings.reconcileEnabled(), env);
    // Read before the store is opened: a bad certificate stops the start with nothing to undo.
    ServerCertificate certificate = null;
    if (settings.tls().enabled()) {
      certificate = ServerCertificate.load(settings.tls(), env);
    } else if (settings.tls().hasCertificateSettings()) {
      LOG.warn("event=tls_off message='tls.port is 0: no HTTPS listener, the tls.* certificate"
          + " settings are not used'");
    }
    this.clock = clock;
    this.store = SqliteStore.open(settings.dataDir(), "power".equals(settings.storeSync())
        ? SqliteStore.SyncPolicy.POWER : SqliteStore.SyncPolicy.PROCESS, settings.storeMaxBytes());
    ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = Executors.defaultThreadFactory().newThread(r);
      t.setName("possync-timers");
      t.setDaemon(true);
      return t;
    });
    timers.setRemoveOnCancelPolicy(true); // answered polls must not leave their timers behind
    this.scheduler = timers;
    // The parts report to the metrics through listener interfaces of their own (DESIGN: only app
    // knows Micrometer).
    this.metrics = new Metrics(clock);
    this.pollTimers = new SystemScheduler(clock, "possync-poll-timers");
    this.bus = new InMemoryBus(pollTimers, settings.notificationRetention(),
        settings.notificationBytes(), settings.pollMaxHeld(), metrics);
    try {
      bus.restore(store.lastNotificationId(),
          store.notificationsSince(clock.millis() - settings.notificationRetention().toMillis(),
              settings.notificationBytes()));
    } catch (RuntimeException e) {
      pollTimers.close();
      metrics.close();
      store.close();
      throw e;
    }
    this.committer = new GroupCommitter(store, bus, clock, COMMIT_QUEUE, metrics);
    this.sync = new SyncService(committer, store, odoo, clock, settings.orderRetention(),
        settings.hotBytes(), settings.access().maxLines(),
        ConflictPolicy.valueOf(settings.syncConflicts().toUpperCase(java.util.Locale.ROOT)));
    PollActivity activity = new PollActivity(clock, settings.pollTimeout(),
        settings.admin().offlineAfter());
    TrafficHistory traffic = new TrafficHistory(clock);
    this.server = new PosSyncServer(settings, certificate, sync, bus, committer, hash -> store
        .token(hash).map(t -> new AccessTokens.Binding(t.dbname(), t.multiSessionId(),
            t.revokedAt() != null)), activity, traffic, metrics);
    this.admin = new AdminServer(settings.admin(), new NodeStatus(settings, clock, sync, bus, store,
        committer, activity, traffic, server::port), metrics::scrape);
    List<OutboxWorker.Backend> backends = new ArrayList<>();
    for (OdooConnection c : odoo.connections()) {
      backends.add(new OutboxWorker.Backend(c, clients.create(c, settings.odooConnectTimeout(),
          settings.odooReplyTimeout())));
    }
    this.outbox = new OutboxWorker(store, committer, clock, backends, settings.outboxRetryMin(),
        settings.outboxRetryMax(), settings.reconcileDelay(), metrics);
    metrics.watch(bus, sync, store, settings.dataDir(),
        odoo.connections().stream().map(OdooConnection::posDbname).toList());
  }

  /** Starts listening and the periodic retention sweeps. */
  public PosSync start() throws Exception {
    try {
      server.start();
    } catch (IOException e) {
      throw new IOException("POS listener (http.host, http.port) cannot listen on "
          + settings.host() + ":" + settings.port() + ": " + StartChecks.explain(e, "--port"), e);
    }
    try {
      admin.start();
    } catch (IOException e) {
      throw new IOException(StartChecks.explain(e, "--admin-port"), e);
    }
    outbox.start();
    scheduler.scheduleWithFixedDelay(this::sweep, 10, 10, TimeUnit.SECONDS);
    LOG.info("event=started host={} port={} tls_host={} tls_port={} path_prefix='{}'"
            + " poll_timeout_s={} data_dir={} sync={} last_notification_id={} admin={}:{}"
            + " admin_auth={}",
        settings.host(), server.port(), settings.tls().enabled() ? settings.tls().host() : "-",
        settings.tls().enabled() ? server.tlsPort() : "-", settings.pathPrefix(),
        settings.pollTimeout().toSeconds(), settings.dataDir().toAbsolutePath(),
        settings.storeSync(), bus.lastId(), settings.admin().host(), admin.port(),
        settings.admin().hasToken() ? "token" : "none");
    return this;
  }

  /** Applies retention (decision D4) in memory and in the store. */
  public void sweep() {
    try {
      long now = clock.millis();
      bus.sweep();
      sync.purgeOldOrders();
      committer.submit(() -> store.purge(now - settings.notificationRetention().toMillis(),
          now - settings.orderRetention().toMillis()));
    } catch (RuntimeException e) {
      LOG.error("event=sweep_failed error={}", e.toString(), e);
    }
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

  public SyncService sync() {
    return sync;
  }

  /** The Odoo write-back worker, for tests that drive it pass by pass. */
  public OutboxWorker outbox() {
    return outbox;
  }

  public Store store() {
    return store;
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
      bus.releaseAll(); // held polls get their (empty) answer instead of a dropped connection
      server.stop();
    } finally {
      try {
        admin.stop();
      } catch (Exception e) {
        LOG.warn("event=admin_stop_failed error={}", e.toString());
      }
      outbox.close();
      scheduler.shutdownNow();
      pollTimers.close();
      committer.close();
      store.close();
      metrics.close();
      LOG.info("event=stopped");
    }
  }
}
