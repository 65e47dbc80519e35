package io.possync.terminal;

/**
 * Counters of one virtual terminal since it was created.
 *
 * @param conflictPopups    "There is a conflict during synchronization" popups (revision_error
 *                          with a state other than deleted, §5.5) — the original tests fail on it
 * @param revisionErrors    every {@code revision_error} answer, deleted ones included
 * @param offlinePopups     "No connection to the server." warnings
 * @param syncAllsSent      {@code sync_all} requests sent
 * @param syncAllsReceived  {@code sync_all} payloads processed (inline or from the bus)
 * @param gapsDetected      multi-session messages whose message_ID was not the next one (§5.8)
 * @param echoesIgnored     own messages skipped by the echo rule (§5.8)
 * @param updatesSent       {@code update_order} requests sent
 * @param removesSent       {@code remove_order} requests sent
 * @param requestsFailed    update-route requests that failed (network or JSON-RPC error)
 * @param pollsAnswered     polls answered successfully
 * @param messagesReceived  multi-session messages received from the bus
 * @param handlerErrors     exceptions while handling an answer or a message (the POS would show
 *                          a "Longpolling Handling Error"); must stay 0
 */
public record TerminalStats(long conflictPopups, long revisionErrors, long offlinePopups,
    long syncAllsSent, long syncAllsReceived, long gapsDetected, long echoesIgnored,
    long updatesSent, long removesSent, long requestsFailed, long pollsAnswered,
    long messagesReceived, long handlerErrors) {}
