package io.possync.odoo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxListener;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.time.Scheduler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the outbox into Odoo in the background: per database, paid-offline orders one at a time
 * in the order they were accepted, each delivered exactly once in effect; and, when enabled,
 * reconciliation of orders finalized online. Every write goes through the {@link OutboxStore},
 * which in the server runs it on the store's single writer.
 *
 * <p>The worker has no thread of its own: it runs a pass every second on the scheduler it is
 * given, which must not be the bus's timer thread (a pass waits on Odoo for as long as the reply
 * timeout). Tests run passes with {@link #runOnce} or by moving a manual scheduler's time.
 */
public final class OutboxWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxWorker.class);
  /** Two totals closer than this are one amount (Odoo rounds to the currency, at most cents). */
  private static final double SAME_AMOUNT = 0.005;

  /** One configured backend and the client that talks to it. */
  public record Backend(OdooConnection connection, OdooClient client) {}

  /** Set while a delivery is retried after a fresh login; passes never overlap. */
  private boolean relogging;
  /** What a successful login gave us; dropped when Odoo refuses the credentials later. */
  private record Session(OdooVersion version, int uid) {}

  /** Time between passes. */
  static final Duration PASS_INTERVAL = Duration.ofSeconds(1);

  private final OutboxStore store;
  private final Scheduler scheduler;
  private final Clock clock;
  private final List<Backend> backends;
  private final Duration retryMin;
  private final Duration retryMax;
  private final Duration reconcileDelay;
  private final OutboxListener listener;
  /** Per backend; used by passes only, under {@link #passLock}. */
  private final Session[] sessions;
  /** One pass at a time, so an order is never sent by two passes at once. */
  private final ReentrantLock passLock = new ReentrantLock();
  private final List<Scheduler.Scheduled> scheduled = new ArrayList<>();
  /** After a pass failed as a whole the next is skipped: a lasting failure logs every 2 s. */
  private boolean restAfterFailure;
  private volatile boolean running = true;
  /** Whether this node may deliver a database's outbox now (a cluster: it holds the lease). */
  private volatile Predicate<String> mayDeliver = db -> true;

  /**
   * @param reconcileDelay how long after finalization an online order must be in Odoo
   */
  public OutboxWorker(OutboxStore store, Scheduler scheduler, List<Backend> backends,
      Duration retryMin, Duration retryMax, Duration reconcileDelay) {
    this(store, scheduler, backends, retryMin, retryMax, reconcileDelay, OutboxListener.NONE);
  }

  /**
   * @param listener told of every failed call to Odoo
   */
  public OutboxWorker(OutboxStore store, Scheduler scheduler, List<Backend> backends,
      Duration retryMin, Duration retryMax, Duration reconcileDelay, OutboxListener listener) {
    this.listener = listener;
    this.store = store;
    this.scheduler = scheduler;
    this.clock = scheduler.clock();
    this.backends = List.copyOf(backends);
    this.retryMin = retryMin;
    this.retryMax = retryMax;
    this.reconcileDelay = reconcileDelay;
    this.sessions = new Session[backends.size()];
  }

  /**
   * In a cluster, one node delivers each database's outbox at a time: {@code gate} says whether
   * this node may now (takes or renews its lease). Asked before every entry, so a node that lost
   * the lease stops at the next one. Call before {@link #start}.
   */
  public OutboxWorker deliveringOnlyWhen(Predicate<String> gate) {
    this.mayDeliver = gate;
    return this;
  }

  /**
   * Lifts pauses whose credentials were changed since, then starts draining: a first pass at
   * once, then one every {@link #PASS_INTERVAL}.
   */
  public OutboxWorker start() {
    for (Backend b : backends) {
      store.pauseOf(b.connection().posDbname()).ifPresent(p -> {
        if (!p.credentials().equals(fingerprint(b.connection()))) {
          write(store.resume(b.connection().posDbname()));
          LOG.info("event=outbox_resumed db={} reason=credentials_changed",
              b.connection().posDbname());
        }
      });
    }
    if (!backends.isEmpty()) {
      synchronized (scheduled) {
        scheduled.add(scheduler.schedule(Duration.ZERO, this::scheduledPass));
        scheduled.add(scheduler.every(PASS_INTERVAL, this::scheduledPass));
      }
    }
    return this;
  }

  private void scheduledPass() {
    passLock.lock(); // a pass under way (a test's runOnce) finishes first
    try {
      if (restAfterFailure) {
        restAfterFailure = false;
        return;
      }
      pass();
    } catch (RuntimeException e) {
      restAfterFailure = true;
      LOG.error("event=outbox_loop_error error={}", e.toString(), e);
    } finally {
      passLock.unlock();
    }
  }

  /**
   * One pass: for every database not paused, deliver due entries until one has to wait, then
   * reconcile what is due. Returns the number of entries finished (done, dead or missing). One
   * pass at a time, so an order is never sent by two passes at once.
   */
  public int runOnce() {
    passLock.lock();
    try {
      return pass();
    } finally {
      passLock.unlock();
    }
  }

  private int pass() {
    int finished = 0;
    for (int i = 0; i < backends.size() && running; i++) {
      Backend b = backends.get(i);
      String db = b.connection().posDbname();
      if (store.pauseOf(db).isPresent() || !mayDeliver.test(db)) {
        continue;
      }
      Optional<OutboxRow> next;
      while (running && (next = store.nextPending(db, OutboxEntry.Kind.DELIVER)).isPresent()
          && next.get().nextAttemptAt() <= clock.millis() && mayDeliver.test(db)) {
        if (!deliver(i, next.get())) {
          break; // it waits for a retry, and the entries behind it wait too: order per database
        }
        finished++;
      }
      while (running && (next = store.nextPending(db, OutboxEntry.Kind.RECONCILE)).isPresent()
          && isDue(next.get())) {
        if (!reconcile(i, next.get())) {
          break;
        }
        finished++;
      }
    }
    return finished;
  }

  // --- delivery ---------------------------------------------------------------------------

  /** One attempt; true when the entry is finished (done or dead). */
  private boolean deliver(int i, OutboxRow row) {
    Backend b = backends.get(i);
    String db = b.connection().posDbname();
    JsonObject paid;
    try {
      paid = JsonParser.parseString(row.payload()).getAsJsonObject();
      paid.getAsJsonObject("data");
    } catch (RuntimeException e) {
      return finish(row, OutboxState.DEAD, "the terminal's order_data is not a paid order: "
          + e.getMessage(), null);
    }
    try {
      Session s = session(i);
      if (row.attempts() > 0) {
        // An earlier attempt may have reached Odoo before failing (timeout, reset): look first.
        Optional<Boolean> known = lookUp(b, s, row, paid);
        if (known.isPresent()) {
          return known.get();
        }
      } else {
        // Written before sending: if this node dies before Odoo answers, whoever sends it next
        // (this node restarted, or another node once the lease expired) sees that an attempt
        // was made and looks the order up first, instead of creating it a second time.
        write(store.recordAttempt(row.id(), OutboxState.PENDING, 1, row.nextAttemptAt(), null,
            null, clock.millis()));
      }
      List<Integer> created = b.client().createFromUi(s.uid(), s.version(), paid);
      if (!created.isEmpty()) {
        LOG.info("event=outbox_delivered db={} uid={} odoo_id={} attempts={}", db, row.uid(),
            created.get(0), row.attempts() + 1);
        return finish(row, OutboxState.DONE, null, created.get(0));
      }
      // Odoo already had an order of that name (the terminal pushed it, or we did before).
      Optional<Boolean> known = lookUp(b, s, row, paid);
      return known.orElseGet(() -> finish(row, OutboxState.DEAD, "Odoo answered that "
          + row.posReference() + " exists but no order of that name can be found", null));
    } catch (OdooFailure f) {
      return failed(i, row, f);
    }
  }

  /**
   * Looks the order up by name: empty if Odoo has none; true (finished) if it has this order or a
   * different one of the same name — the latter is an alert, never a silent skip (docs/odoo.md).
   */
  private Optional<Boolean> lookUp(Backend b, Session s, OutboxRow row, JsonObject paid)
      throws OdooFailure {
    if (row.posReference() == null) {
      return Optional.empty();
    }
    List<FoundOrder> found = b.client().findByReference(s.uid(), row.posReference());
    if (found.isEmpty()) {
      return Optional.empty();
    }
    FoundOrder o = found.get(0);
    if (sameOrder(o, paid.getAsJsonObject("data"))) {
      LOG.info("event=outbox_already_in_odoo db={} uid={} odoo_id={}",
          b.connection().posDbname(), row.uid(), o.id());
      return Optional.of(finish(row, OutboxState.DONE, null, o.id()));
    }
    String why = "Odoo already has a different order named " + row.posReference() + " (id "
        + o.id() + ", session " + o.sessionName() + ", total " + o.amountTotal()
        + "); this paid order was not written";
    LOG.warn("event=outbox_conflict db={} uid={} odoo_id={} reason=\"{}\"",
        b.connection().posDbname(), row.uid(), o.id(), why);
    return Optional.of(finish(row, OutboxState.DEAD, why, o.id()));
  }

  /**
   * Same order: same total, and same session — or a rescue session, where Odoo books orders of a
   * session closed meanwhile.
   */
  static boolean sameOrder(FoundOrder found, JsonObject data) {
    if (found.amountTotal() != null && number(data.get("amount_total")) != null
        && Math.abs(found.amountTotal() - number(data.get("amount_total"))) > SAME_AMOUNT) {
      return false;
    }
    Double session = number(data.get("pos_session_id"));
    boolean rescued = found.sessionName() != null && found.sessionName().contains("RESCUE FOR");
    return found.sessionId() == null || session == null || rescued
        || found.sessionId().doubleValue() == session;
  }

  private boolean failed(int i, OutboxRow row, OdooFailure f) {
    Backend b = backends.get(i);
    String db = b.connection().posDbname();
    listener.deliveryFailed(db, kindLabel(f));
    switch (f.kind()) {
      case ORDER_REJECTED -> {
        LOG.warn("event=outbox_dead db={} uid={} reason=\"{}\"", db, row.uid(), f.getMessage());
        return finish(row, OutboxState.DEAD, "Odoo refused the order: " + f.getMessage(), null);
      }
      case AUTHENTICATION, MISCONFIGURED -> {
        if (f.kind() == OdooFailure.Kind.AUTHENTICATION && sessions[i] != null && !relogging) {
          // The password may have changed since we logged in: one fresh login, then stop. Refused
          // again right after it (the login works, the calls do not), the queue pauses: logging
          // in again and again would recurse, and Odoo locks an address out after 5 failures.
          sessions[i] = null;
          return deliverAfterRelogin(i, row);
        }
        pause(b, f);
        return false;
      }
      default -> {
        int attempts = row.attempts() + 1;
        long wait = backoff(attempts);
        LOG.info("event=outbox_retry db={} uid={} attempts={} in_s={} reason=\"{}\"", db,
            row.uid(), attempts, wait / 1000, f.getMessage());
        write(store.recordAttempt(row.id(), OutboxState.PENDING, attempts,
            clock.millis() + wait, f.getMessage(), null, clock.millis()));
        return false;
      }
    }
  }

  private boolean deliverAfterRelogin(int i, OutboxRow row) {
    try {
      session(i);
    } catch (OdooFailure again) {
      listener.deliveryFailed(backends.get(i).connection().posDbname(), kindLabel(again));
      pause(backends.get(i), again);
      return false;
    }
    relogging = true;
    try {
      return deliver(i, row);
    } finally {
      relogging = false;
    }
  }

  private void pause(Backend b, OdooFailure f) {
    String db = b.connection().posDbname();
    String reason = (f.kind() == OdooFailure.Kind.AUTHENTICATION
        ? "Odoo refused the login of " + b.connection().login() + ": " : "Odoo is misconfigured: ")
        + f.getMessage() + ". The outbox of " + db + " is paused; fix the odoo."
        + b.connection().name() + ".* settings, then restart or run 'possync outbox resume --db "
        + db + "'";
    LOG.error("event=outbox_paused db={} reason=\"{}\"", db, reason);
    write(store.pause(new OutboxPause(db, reason, fingerprint(b.connection()), clock.millis())));
  }

  // --- reconciliation ---------------------------------------------------------------------

  private boolean isDue(OutboxRow row) {
    long due = Math.max(row.createdAt() + reconcileDelay.toMillis(), row.nextAttemptAt());
    return due <= clock.millis();
  }

  private boolean reconcile(int i, OutboxRow row) {
    Backend b = backends.get(i);
    try {
      Session s = session(i);
      List<FoundOrder> found = b.client().findByReference(s.uid(), row.posReference());
      if (!found.isEmpty()) {
        return finish(row, OutboxState.DONE, null, found.get(0).id());
      }
      String why = "Odoo has no order named " + row.posReference() + " although a terminal"
          + " finalized it " + reconcileDelay.toMinutes() + " min ago";
      LOG.warn("event=reconcile_missing db={} uid={} pos_reference=\"{}\"",
          b.connection().posDbname(), row.uid(), row.posReference());
      return finish(row, OutboxState.MISSING, why, null);
    } catch (OdooFailure f) {
      listener.deliveryFailed(b.connection().posDbname(), kindLabel(f));
      if (f.kind() == OdooFailure.Kind.AUTHENTICATION || f.kind() == OdooFailure.Kind.MISCONFIGURED) {
        sessions[i] = null;
        pause(b, f);
        return false;
      }
      int attempts = row.attempts() + 1;
      write(store.recordAttempt(row.id(), OutboxState.PENDING, attempts,
          clock.millis() + backoff(attempts), f.getMessage(), null, clock.millis()));
      return false;
    }
  }

  // --- shared -----------------------------------------------------------------------------

  private Session session(int i) throws OdooFailure {
    Session s = sessions[i];
    if (s == null) {
      OdooClient client = backends.get(i).client();
      s = new Session(client.version(), client.authenticate());
      sessions[i] = s;
    }
    return s;
  }

  private boolean finish(OutboxRow row, OutboxState state, String error, Integer odooId) {
    write(store.recordAttempt(row.id(), state, row.attempts() + 1, row.nextAttemptAt(),
        error, odooId, clock.millis()));
    return true;
  }

  /** Exponential back-off with jitter, between the configured bounds. */
  long backoff(int attempts) {
    double base = retryMin.toMillis() * Math.pow(2, Math.min(attempts - 1, 30));
    double capped = Math.min(base, retryMax.toMillis());
    return (long) (capped * (0.5 + ThreadLocalRandom.current().nextDouble()));
  }

  /** Waits for a write: what a pass does next depends on it. */
  private static void write(CompletableFuture<?> written) {
    try {
      written.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing the outbox", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot write the outbox: " + e.getMessage(), e);
    }
  }

  /** A fingerprint of the connection settings, so a pause ends when an operator changes them. */
  static String fingerprint(OdooConnection c) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest(String.join("\n", c.url().toString(), c.database(), c.login(),
          c.password()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String kindLabel(OdooFailure f) {
    return f.kind().name().toLowerCase(Locale.ROOT);
  }

  private static Double number(JsonElement e) {
    try {
      return e == null || !e.isJsonPrimitive() ? null : e.getAsDouble();
    } catch (NumberFormatException notANumber) {
      return null;
    }
  }

  /**
   * Stops the passes. A pass under way stops after its current step; this waits up to five
   * seconds for it, so that it does not write to a store being closed.
   */
  @Override
  public void close() {
    running = false;
    synchronized (scheduled) {
      scheduled.forEach(Scheduler.Scheduled::cancel);
      scheduled.clear();
    }
    try {
      if (passLock.tryLock(5, TimeUnit.SECONDS)) {
        passLock.unlock();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
