package io.possync.app;

import io.possync.http.StatusReport;
import io.possync.store.ClusterTables;
import io.possync.time.SystemScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as a member of a cluster: its heartbeat in {@code cluster_nodes}, and the outbox
 * leases that make one node at a time deliver each Odoo database's outbox. The heartbeat renews
 * the leases this node holds, so a node busy with a slow Odoo call keeps them; a node that died
 * stops renewing, and another takes over once they expire ({@link #LEASE}), well within 30 s.
 */
final class ClusterNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
  static final Duration HEARTBEAT = Duration.ofSeconds(5);
  /** How long a lease outlives its holder's last renewal. */
  static final Duration LEASE = Duration.ofSeconds(15);

  private final String name;
  private final ClusterTables tables;
  private final Clock clock;
  private final long startedAt;
  private final SystemScheduler timer;
  private volatile boolean reachable = true;

  ClusterNode(String name, ClusterTables tables, Clock clock) {
    this.name = name;
    this.tables = tables;
    this.clock = clock;
    this.startedAt = clock.millis();
    this.timer = new SystemScheduler(clock, "possync-cluster");
  }

  String name() {
    return name;
  }

  ClusterTables tables() {
    return tables;
  }

  /** Starts the heartbeat: one now, then one every {@link #HEARTBEAT}. */
  void start() {
    timer.schedule(Duration.ZERO, this::beat);
    timer.every(HEARTBEAT, this::beat);
  }

  private void beat() {
    try {
      long now = clock.millis();
      tables.heartbeat(name, startedAt, Version.VALUE, now);
      tables.renewLeases(name, now + LEASE.toMillis());
      if (!reachable) {
        reachable = true;
        LOG.info("event=cluster_heartbeat_resumed node={}", name);
      }
    } catch (RuntimeException e) {
      if (reachable) {
        reachable = false;
        LOG.warn("event=cluster_heartbeat_failed node={} error={}", name, e.getMessage());
      }
    }
  }

  /**
   * Whether this node may deliver {@code dbname}'s outbox now: takes the lease if it is free or
   * expired, renews it if held. False, not an error, while the database is away.
   */
  boolean mayDeliver(String dbname) {
    long now = clock.millis();
    try {
      return tables.holdLease(dbname, name, now, now + LEASE.toMillis());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The cluster as the status page shows it: the nodes (up while their heartbeat is younger
   * than {@link #LEASE}) and the outbox leases. Reads the shared tables; when the database is
   * away, says so instead.
   */
  StatusReport.Cluster status(boolean following) {
    long now = clock.millis();
    try {
      List<StatusReport.ClusterNode> nodes = tables.nodes().stream()
          .map(n -> new StatusReport.ClusterNode(n.name(), n.version(), n.startedAt(),
              n.heartbeatAt(), now - n.heartbeatAt() <= LEASE.toMillis() ? "up" : "down"))
          .toList();
      List<StatusReport.OutboxLease> leases = tables.leases().stream()
          .filter(l -> l.expiresAt() >= now)
          .map(l -> new StatusReport.OutboxLease(l.dbname(), l.node(), l.expiresAt()))
          .toList();
      return new StatusReport.Cluster(name, following, nodes, leases, null);
    } catch (RuntimeException e) {
      return new StatusReport.Cluster(name, following, List.of(), List.of(), e.getMessage());
    }
  }

  /** Stops the heartbeat and gives the leases up, so another node takes over at once. */
  @Override
  public void close() {
    timer.close();
    try {
      tables.releaseLeases(name);
    } catch (RuntimeException e) {
      LOG.warn("event=outbox_lease_release_failed node={} error={}", name, e.getMessage());
    }
  }
}
