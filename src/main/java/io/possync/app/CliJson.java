package io.possync.app;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.possync.http.StatusReport;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.store.AccessToken;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * The {@code --json} output of {@code status}, {@code outbox list} and {@code token list}: the
 * names and units of {@code /api/status} (snake case, times in epoch milliseconds), nulls
 * written, one document on standard output.
 */
final class CliJson {
  static final Gson GSON = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
      .serializeNulls()
      .disableHtmlEscaping()
      .setPrettyPrinting()
      .create();

  private CliJson() {}

  /** {@code possync outbox list --json}. */
  record OutboxList(List<Pause> paused, List<StatusReport.OutboxItem> entries) {}

  /** A paused database, without the fingerprint of the credentials it paused on. */
  record Pause(String dbname, String reason, long since) {
    static Pause of(OutboxPause p) {
      return new Pause(p.dbname(), p.reason(), p.since());
    }
  }

  /** {@code possync token list --json}: one token, without its hash. */
  record Token(String id, String dbname, long multiSessionId, String label, long createdAt,
      Long revokedAt, String state) {
    static Token of(AccessToken t) {
      return new Token(t.id(), t.dbname(), t.multiSessionId(), t.label(), t.createdAt(),
          t.revokedAt(), t.revokedAt() == null ? "valid" : "revoked");
    }
  }

  /** An outbox entry as the status page and {@code outbox list --json} show it (no payload). */
  static StatusReport.OutboxItem item(OutboxRow r) {
    return new StatusReport.OutboxItem(r.id(), r.dbname(), r.uid(),
        r.kind().name().toLowerCase(Locale.ROOT), r.posReference(), r.state().wire(),
        r.attempts(), r.lastError(), r.odooOrderId(), r.createdAt(), r.updatedAt(),
        r.nextAttemptAt());
  }

  static void print(PrintStream out, Object document) {
    out.println(GSON.toJson(document));
  }
}
