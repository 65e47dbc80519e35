package io.possync.http;

import io.possync.wire.Channel;
import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * What one admitted request may touch: a database, a multi-session of it, an Odoo user — each
 * null when not restricted — within the configured dbname allow-list.
 */
record Grant(String dbname, Long multiSessionId, Long userId, Set<String> allowedDbnames) {

  static Grant any(Set<String> allowedDbnames) {
    return new Grant(null, null, null, allowedDbnames);
  }

  /** An update of {@code (dbname, multiSessionId)} by {@code userId}. */
  void requireUpdate(String db, long multiSession, long user) {
    requireDb(db);
    if (multiSessionId != null && multiSessionId != multiSession) {
      throw denied("this sync_server address is for another multi-session");
    }
    if (userId != null && userId != user) {
      throw denied("user_ID does not match the Odoo session");
    }
  }

  /** Anything of database {@code db}. */
  void requireDb(String db) {
    if (!allowedDbnames.isEmpty() && !allowedDbnames.contains(db)) {
      throw denied("database not served here");
    }
    if (dbname != null && !dbname.equals(db)) {
      throw denied("this sync_server address is for another database");
    }
  }

  /**
   * A poll channel: parsed, of an allowed database and — when bound to a multi-session — of a
   * terminal registered in it ({@code isMember}). Guessed channel strings get nothing.
   */
  void requireChannel(String channel, BiPredicate<String, Long> isMember) {
    if (dbname == null && multiSessionId == null && allowedDbnames.isEmpty()) {
      return; // open access: any channel, as Odoo's bus
    }
    Channel parsed = Channel.parse(channel)
        .orElseThrow(() -> denied("channel is not a POS channel"));
    requireDb(parsed.dbname());
    if (multiSessionId != null) {
      long posId = parsed.posId().orElseThrow(() -> denied("channel is not a POS channel"));
      if (!isMember.test(parsed.dbname(), posId)) {
        throw denied("channel of a terminal outside this multi-session");
      }
    }
  }

  static RpcException denied(String reason) {
    return new RpcException(RpcError.forbidden(reason));
  }
}
