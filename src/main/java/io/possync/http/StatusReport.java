package io.possync.http;

import java.util.List;
import java.util.Map;

/**
 * The document of {@code GET /api/status}, which the status page renders. Times are clock
 * milliseconds since the epoch; JSON names are these in snake case ({@code lastPoll} →
 * {@code last_poll}).
 */
public record StatusReport(Node node, Thresholds thresholds, List<Database> databases,
    Outbox outbox, History history, Cluster cluster) {

  /** The report of a node that is not part of a cluster. */
  public StatusReport(Node node, Thresholds thresholds, List<Database> databases, Outbox outbox,
      History history) {
    this(node, thresholds, databases, outbox, history, null);
  }

  /**
   * The cluster this node is part of (store.kind=postgresql); null on a node of its own.
   *
   * @param node         this node's name
   * @param following    whether this node's bus reads the shared table now (false while the
   *                     database is away: polls are then answered from memory only)
   * @param nodes        every node that joined, with its last heartbeat
   * @param outboxLeases which node delivers which Odoo database's outbox, until when
   * @param error        why the cluster's tables could not be read, or null
   */
  public record Cluster(String node, boolean following, List<ClusterNode> nodes,
      List<OutboxLease> outboxLeases, String error) {}

  /**
   * One node of the cluster.
   *
   * @param state {@code up} when its last heartbeat is recent, else {@code down}
   */
  public record ClusterNode(String name, String version, long startedAt, long heartbeatAt,
      String state) {}

  /** The node that delivers a database's outbox, and until when its lease runs. */
  public record OutboxLease(String dbname, String node, long expiresAt) {}

  /**
   * The node itself.
   *
   * @param now                the server's time when the report was made (ages are measured
   *                           from it, not from the browser's clock)
   * @param heldPolls          polls parked right now
   * @param lastNotificationId highest bus notification id handed out
   */
  public record Node(String version, long now, long startedAt, long uptimeSeconds, int heldPolls,
      long lastNotificationId, long heapUsedBytes, long heapMaxBytes, String posListener,
      String authMode) {}

  /** When terminals turn stale (orange) and offline (red), in seconds without a poll. */
  public record Thresholds(long staleAfterSeconds, long offlineAfterSeconds) {}

  /**
   * One Odoo database as the terminals name it.
   *
   * @param multiSessions  its multi-sessions held in memory
   * @param otherTerminals terminals that polled but belong to no multi-session listed here
   *                       (not registered, or their multi-session is not in memory)
   */
  public record Database(String dbname, List<MultiSession> multiSessions,
      List<Terminal> otherTerminals) {}

  /**
   * One multi-session.
   *
   * @param run                current run ({@code run_ID})
   * @param lastSequenceNumber last order number handed out in this run ({@code order_ID})
   * @param draftOrders        orders in state draft
   * @param ordersKept         orders kept, tombstones and unpaid orders of old runs included
   */
  public record MultiSession(long id, long run, long lastSequenceNumber, long draftOrders,
      int ordersKept, List<Terminal> terminals) {}

  /**
   * One terminal (POS config).
   *
   * @param userId    Odoo user of its last sync_all; null if not registered
   * @param messageId last {@code message_ID} sent to it; null if not registered
   * @param lastPoll  time of its last poll; null if none since the start
   * @param state     {@code online}, {@code stale} or {@code offline}
   * @param posName   its name in Odoo ({@code pos.config.name}) as its orders carry it in
   *                  {@code ms_info}; null until it has made or changed an order
   * @param cashier   the cashier who last made or changed an order there; null as posName
   */
  public record Terminal(long posId, Long userId, Long messageId, Long lastPoll, String state,
      String posName, String cashier) {}

  /**
   * The Odoo write-back outbox.
   *
   * @param configured the POS dbnames that have an Odoo backend
   * @param counts     by database, then by state ({@code pending}, {@code done}, ...)
   * @param recent     the most recent entries, newest first
   * @param paused     databases whose outbox waits for an operator
   * @param waiting    per database, the paid orders waiting for Odoo (the status page's banner)
   */
  public record Outbox(List<String> configured, Map<String, Map<String, Integer>> counts,
      List<OutboxItem> recent, List<Pause> paused, List<Waiting> waiting) {}

  /**
   * Paid orders of one database that Odoo does not have yet.
   *
   * @param oldestCreatedAt when the oldest of them came
   * @param nextAttemptAt   when PosSync tries Odoo again (with the oldest of them)
   * @param attempts        most tries any of them had; 0 while none was tried
   * @param lastError       why the newest try failed, or null
   */
  public record Waiting(String dbname, int paidOrders, long oldestCreatedAt, long nextAttemptAt,
      int attempts, String lastError) {}

  /** One outbox entry (without its payload). */
  public record OutboxItem(long id, String dbname, String uid, String kind, String posReference,
      String state, int attempts, String lastError, Integer odooOrderId, long createdAt,
      long updatedAt, long nextAttemptAt) {}

  /** A paused outbox: Odoo refused the credentials and PosSync does not retry by itself. */
  public record Pause(String dbname, String reason, long since) {}

  /** Traffic in fixed steps, oldest first; only completed steps. */
  public record History(long stepSeconds, List<HistoryPoint> points) {}

  /**
   * One step of the history.
   *
   * @param at               start of the step
   * @param updatesPerSecond update calls answered per second
   * @param fanoutMsAvg      mean time from a notification's publication to the poll answer that
   *                         carried it; null when nothing was delivered in the step
   * @param fanoutMsMax      the longest such time; null likewise
   */
  public record HistoryPoint(long at, double updatesPerSecond, Double fanoutMsAvg,
      Long fanoutMsMax) {}
}
