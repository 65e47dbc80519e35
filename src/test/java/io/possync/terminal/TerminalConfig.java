package io.possync.terminal;

import java.net.URI;
import java.util.Objects;

/**
 * Who a virtual terminal is and where its sync server is: the values a POS page gets from Odoo
 * ({@code pos.config}, {@code pos.session}, {@code pos.multi_session}, the user) plus timing.
 *
 * @param syncServer           the {@code sync_server} value, with scheme; may carry a path prefix.
 *                             Used verbatim: the POS builds URLs by appending the route (§1)
 * @param dbname               main Odoo database name ({@code dbname}/{@code db_name} params)
 * @param multiSessionId       {@code pos.config.multi_session_id}
 * @param posId                {@code pos.config.id}; names the terminal's two channels
 * @param posName              {@code pos.config.name}, shown in {@code ms_info}
 * @param userId               {@code pos.user.id}, sent as {@code user_ID}
 * @param userName             the user's name, shown in {@code ms_info}
 * @param sessionId            {@code pos.session} id, sent as {@code session_id}
 * @param loginNumber          {@code pos.session.login_number}: one per page load or device
 * @param runId                {@code pos.multi_session.run_ID} loaded at start
 * @param firstSequenceNumber  {@code pos.session.sequence_number} at start: the next local order
 *                             number
 * @param acceptIncomingOrders {@code multi_session_accept_incoming_orders}: create orders of other
 *                             users when they arrive (§5.10)
 * @param keepHistory          record received notification ids and message_IDs (tests); turn off
 *                             for long load runs
 * @param timing               client-side delays and timeouts
 */
public record TerminalConfig(URI syncServer, String dbname, long multiSessionId, long posId,
    String posName, long userId, String userName, long sessionId, int loginNumber, long runId,
    long firstSequenceNumber, boolean acceptIncomingOrders, boolean keepHistory, Timing timing) {

  public TerminalConfig {
    Objects.requireNonNull(syncServer, "syncServer");
    Objects.requireNonNull(dbname, "dbname");
    Objects.requireNonNull(posName, "posName");
    Objects.requireNonNull(userName, "userName");
    Objects.requireNonNull(timing, "timing");
    if (runId < 1 || firstSequenceNumber < 1 || loginNumber < 1) {
      throw new IllegalArgumentException("runId, firstSequenceNumber and loginNumber start at 1");
    }
  }

  /**
   * A terminal with login number 1, run 1, accepting incoming orders, keeping history, with the
   * real POS timing.
   */
  public static TerminalConfig of(URI syncServer, String dbname, long multiSessionId, long posId,
      long userId, long sessionId) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, "POS " + posId, userId,
        "User " + userId, sessionId, 1, 1, 1, true, true, Timing.REAL);
  }

  public TerminalConfig withSyncServer(URI value) {
    return new TerminalConfig(value, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, runId, firstSequenceNumber, acceptIncomingOrders, keepHistory,
        timing);
  }

  public TerminalConfig withDbname(String value) {
    return new TerminalConfig(syncServer, value, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, runId, firstSequenceNumber, acceptIncomingOrders, keepHistory,
        timing);
  }

  public TerminalConfig withLoginNumber(int value) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, value, runId, firstSequenceNumber, acceptIncomingOrders, keepHistory, timing);
  }

  public TerminalConfig withRunId(long value) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, value, firstSequenceNumber, acceptIncomingOrders, keepHistory,
        timing);
  }

  public TerminalConfig withFirstSequenceNumber(long value) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, runId, value, acceptIncomingOrders, keepHistory, timing);
  }

  public TerminalConfig withAcceptIncomingOrders(boolean value) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, runId, firstSequenceNumber, value, keepHistory, timing);
  }

  public TerminalConfig withKeepHistory(boolean value) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, runId, firstSequenceNumber, acceptIncomingOrders, value, timing);
  }

  public TerminalConfig withNames(String pos, String user) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, pos, userId, user,
        sessionId, loginNumber, runId, firstSequenceNumber, acceptIncomingOrders, keepHistory,
        timing);
  }

  public TerminalConfig withTiming(Timing value) {
    return new TerminalConfig(syncServer, dbname, multiSessionId, posId, posName, userId, userName,
        sessionId, loginNumber, runId, firstSequenceNumber, acceptIncomingOrders, keepHistory,
        value);
  }

  /** Order uid prefix {@code zero_pad(session,5)-zero_pad(login,3)} (Odoo 12 generate_unique_id). */
  String uidPrefix() {
    return String.format("%05d-%03d", sessionId, loginNumber);
  }
}
