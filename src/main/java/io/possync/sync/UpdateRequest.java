package io.possync.sync;

import com.google.gson.JsonObject;

/**
 * The parameters of one {@code /pos_multi_session_sync/update} call (docs/protocol.md §3.1).
 *
 * @param message the multi-session message; the service takes ownership and may change it
 */
public record UpdateRequest(String dbname, long multiSessionId, long userId, JsonObject message) {}
