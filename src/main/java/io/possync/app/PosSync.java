package io.possync.app;

import io.possync.bus.NotificationBus;
import io.possync.config.Settings;
import io.possync.http.PosSyncServer;
import io.possync.sync.SyncService;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A whole PosSync node: bus, multi-session state and the POS listener, wired from settings. */
public final class PosSync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PosSync.class);

  private final Settings settings;
  private final ScheduledExecutorService scheduler;
  private final NotificationBus bus;
  private final SyncService sync;
  private final PosSyncServer server;

  public PosSync(Settings settings, Clock clock) {
    this.settings = settings;
    ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = Executors.defaultThreadFactory().newThread(r);
      t.setName("possync-timers");
      t.setDaemon(true);
      return t;
    });
    timers.setRemoveOnCancelPolicy(true); // answered polls must not leave their timers behind
    this.scheduler = timers;
    this.bus = new NotificationBus(clock, scheduler, settings.notificationRetention(),
        settings.notificationsPerChannel(), settings.pollMaxHeld());
    // In memory for now: an outcome is "committed" when its notifications are published.
    this.sync = new SyncService(outcome -> {
      bus.publish(outcome.notifications());
      return CompletableFuture.completedFuture(null);
    }, clock, settings.orderRetention());
    this.server = new PosSyncServer(settings, sync, bus);
  }

  /** Starts listening and the periodic retention sweeps. */
  public PosSync start() throws Exception {
    server.start();
    scheduler.scheduleWithFixedDelay(this::sweep, 10, 10, TimeUnit.SECONDS);
    LOG.info("event=started host={} port={} path_prefix='{}' poll_timeout_s={}",
        settings.host(), server.port(), settings.pathPrefix(), settings.pollTimeout().toSeconds());
    return this;
  }

  private void sweep() {
    try {
      bus.sweep();
      sync.purgeOldOrders();
    } catch (RuntimeException e) {
      LOG.error("event=sweep_failed error={}", e.toString(), e);
    }
  }

  public int port() {
    return server.port();
  }

  public NotificationBus bus() {
    return bus;
  }

  public SyncService sync() {
    return sync;
  }

  public void join() throws InterruptedException {
    server.join();
  }

  @Override
  public void close() throws Exception {
    server.stop();
    scheduler.shutdownNow();
    LOG.info("event=stopped");
  }
}
