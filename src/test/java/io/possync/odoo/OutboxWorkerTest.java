package io.possync.odoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.outbox.OutboxWaiting;
import io.possync.time.ManualScheduler;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's timing on a manual scheduler: when passes run, that they never overlap, and that
 * back-off is measured on the scheduler's clock. Odoo and the store are in-memory stand-ins.
 */
class OutboxWorkerTest {
  private static final String DB = "shop";

  private final ManualScheduler scheduler = new ManualScheduler();
  private final InMemoryOutbox store = new InMemoryOutbox();
  private final ScriptedOdoo odoo = new ScriptedOdoo();
  private OutboxWorker worker;

  @AfterEach
  void close() {
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void aPassRunsAtStartThenEverySecondUntilClosed() {
    worker = start(Duration.ofSeconds(1));
    int atStart = store.pauseReads.get(); // start() looks at the pause once

    scheduler.runDue();
    assertThat(store.pauseReads.get() - atStart).as("the first pass, at once").isEqualTo(1);
    scheduler.advance(Duration.ofMillis(999));
    assertThat(store.pauseReads.get() - atStart).isEqualTo(1);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(store.pauseReads.get() - atStart).isEqualTo(2);
    scheduler.advance(Duration.ofSeconds(3));
    assertThat(store.pauseReads.get() - atStart).isEqualTo(5);

    worker.close();
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(store.pauseReads.get() - atStart).as("no pass after close").isEqualTo(5);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void aFailedDeliveryWaitsForItsBackOffOnTheSchedulersClockAndHoldsBackTheRest() {
    store.add("00001-001-0001");
    store.add("00001-001-0002");
    odoo.unreachableFor.set(1);
    worker = start(Duration.ofSeconds(10)); // back-off 5..15 s with jitter

    scheduler.runDue();
    assertThat(store.row("00001-001-0001").attempts()).isEqualTo(1);
    assertThat(store.row("00001-001-0001").state()).isEqualTo(OutboxState.PENDING);
    scheduler.advance(Duration.ofSeconds(4));
    assertThat(odoo.creates.get()).as("not before its back-off").isEqualTo(1);
    assertThat(store.row("00001-001-0002").attempts()).as("order per database").isZero();

    scheduler.advance(Duration.ofSeconds(12));
    assertThat(store.row("00001-001-0001").state()).isEqualTo(OutboxState.DONE);
    assertThat(store.row("00001-001-0002").state()).isEqualTo(OutboxState.DONE);
    assertThat(odoo.created).containsExactly("Order 00001-001-0001", "Order 00001-001-0001",
        "Order 00001-001-0002");
  }

  @Test
  void aRefusedLoginPausesTheQueueAndLaterPassesDoNotLogInAgain() {
    store.add("00001-001-0003");
    odoo.refuseLogin = true;
    worker = start(Duration.ofSeconds(1));

    scheduler.runDue();
    assertThat(store.pauseOf(DB)).isPresent();
    scheduler.advance(Duration.ofSeconds(3)); // three more passes
    assertThat(odoo.logins.get()).as("Odoo locks out after 5 failed logins").isEqualTo(1);
    assertThat(odoo.creates.get()).isZero();
    assertThat(store.row("00001-001-0003").state()).isEqualTo(OutboxState.PENDING);
  }

  @Test
  void callsRefusedAfterAFreshLoginPauseTheQueueInsteadOfLoggingInAgainAndAgain() {
    store.add("00001-001-0006");
    odoo.refuseCalls = true; // the login is accepted, every call after it is not
    worker = start(Duration.ofSeconds(1));

    scheduler.runDue();
    assertThat(store.pauseOf(DB)).isPresent();
    assertThat(odoo.logins.get()).as("the first login and one fresh login").isEqualTo(2);
    assertThat(odoo.creates.get()).isEqualTo(2);
    scheduler.advance(Duration.ofSeconds(3));
    assertThat(odoo.logins.get()).as("paused: no more logins").isEqualTo(2);
    assertThat(store.row("00001-001-0006").state()).isEqualTo(OutboxState.PENDING);
  }

  @Test
  void aScheduledPassWaitsForOneUnderWay() throws Exception {
    store.add("00001-001-0004");
    store.add("00001-001-0005");
    odoo.hold = new CountDownLatch(1);
    worker = start(Duration.ofSeconds(1));

    Thread direct = new Thread(worker::runOnce, "test-pass");
    direct.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> odoo.inFlight.get() == 1);
    Thread timer = new Thread(() -> scheduler.advance(Duration.ofSeconds(1)), "test-timer");
    timer.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> timer.getState() == Thread.State.WAITING);
    odoo.hold.countDown();
    direct.join(5000);
    timer.join(5000);

    assertThat(odoo.mostInFlight.get()).as("one pass at a time").isEqualTo(1);
    assertThat(odoo.created).containsExactly("Order 00001-001-0004", "Order 00001-001-0005");
  }

  private OutboxWorker start(Duration retry) {
    OdooConnection c = new OdooConnection("shop", URI.create("http://odoo.invalid"), "odoo",
        "possync", "secret", DB);
    return new OutboxWorker(store, scheduler, List.of(new OutboxWorker.Backend(c, odoo)), retry,
        retry, Duration.ofMinutes(10)).start();
  }

  /** Odoo as a script: refuses logins, is unreachable for a few creates, or holds them. */
  private static final class ScriptedOdoo implements OdooClient {
    volatile boolean refuseLogin;
    /** Odoo answers every call after the login with an access error (fault 3). */
    volatile boolean refuseCalls;
    volatile CountDownLatch hold;
    final AtomicInteger unreachableFor = new AtomicInteger();
    final AtomicInteger logins = new AtomicInteger();
    final AtomicInteger creates = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();
    final List<String> created = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public OdooVersion version() {
      return OdooVersion.V13;
    }

    @Override
    public int authenticate() throws OdooFailure {
      logins.incrementAndGet();
      if (refuseLogin) {
        throw new OdooFailure(OdooFailure.Kind.AUTHENTICATION, 0, "wrong login", null);
      }
      return 2;
    }

    @Override
    public List<Integer> createFromUi(int uid, OdooVersion version, JsonObject paidOrder)
        throws OdooFailure {
      mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        creates.incrementAndGet();
        created.add(paidOrder.getAsJsonObject("data").get("name").getAsString());
        if (hold != null) {
          hold.await();
        }
        if (refuseCalls) {
          throw new OdooFailure(OdooFailure.Kind.AUTHENTICATION, 3, "Access Denied", null);
        }
        if (unreachableFor.getAndDecrement() > 0) {
          throw new OdooFailure(OdooFailure.Kind.UNREACHABLE, 0, "cannot connect", null);
        }
        return List.of(100 + creates.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OdooFailure(OdooFailure.Kind.UNREACHABLE, 0, "interrupted", e);
      } finally {
        inFlight.decrementAndGet();
      }
    }

    @Override
    public List<FoundOrder> findByReference(int uid, String posReference) {
      return List.of();
    }
  }

  /** The outbox tables in memory; writes are done when they return, as on the writer thread. */
  private static final class InMemoryOutbox implements OutboxStore {
    private final List<OutboxRow> rows = new ArrayList<>();
    private final Map<String, OutboxPause> paused = new HashMap<>();
    final AtomicInteger pauseReads = new AtomicInteger();

    synchronized void add(String uid) {
      String payload = "{\"id\":\"" + uid + "\",\"data\":{\"name\":\"Order " + uid + "\","
          + "\"uid\":\"" + uid + "\",\"amount_total\":1.0,\"pos_session_id\":11}}";
      rows.add(new OutboxRow(rows.size() + 1, DB, uid, OutboxEntry.Kind.DELIVER, "Order " + uid,
          payload, OutboxState.PENDING, 0, 0, null, null, 0, 0));
    }

    synchronized OutboxRow row(String uid) {
      return rows.stream().filter(r -> r.uid().equals(uid)).findFirst().orElseThrow();
    }

    @Override
    public synchronized Optional<OutboxRow> nextPending(String dbname, OutboxEntry.Kind kind) {
      return rows.stream().filter(r -> r.dbname().equals(dbname) && r.kind() == kind
          && r.state() == OutboxState.PENDING).min(Comparator.comparingLong(OutboxRow::id));
    }

    @Override
    public synchronized List<OutboxRow> list(String dbname, OutboxState state, int limit) {
      return rows.stream().filter(r -> (dbname == null || r.dbname().equals(dbname))
              && (state == null || r.state() == state))
          .sorted(Comparator.comparingLong(OutboxRow::id).reversed()).limit(limit).toList();
    }

    @Override
    public Map<String, Map<OutboxState, Integer>> counts() {
      return Map.of();
    }

    @Override
    public List<OutboxWaiting> waiting() {
      return List.of();
    }

    @Override
    public synchronized Optional<OutboxPause> pauseOf(String dbname) {
      pauseReads.incrementAndGet();
      return Optional.ofNullable(paused.get(dbname));
    }

    @Override
    public synchronized List<OutboxPause> pauses() {
      return List.copyOf(paused.values());
    }

    @Override
    public synchronized CompletableFuture<Void> recordAttempt(long id, OutboxState state,
        int attempts, long nextAttemptAt, String lastError, Integer odooOrderId, long now) {
      rows.replaceAll(r -> r.id() != id ? r : new OutboxRow(id, r.dbname(), r.uid(), r.kind(),
          r.posReference(), r.payload(), state, attempts, nextAttemptAt, lastError,
          odooOrderId != null ? odooOrderId : r.odooOrderId(), r.createdAt(), now));
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Void> pause(OutboxPause pause) {
      paused.put(pause.dbname(), pause);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Integer> resume(String dbname) {
      return CompletableFuture.completedFuture(paused.remove(dbname) != null ? 1 : 0);
    }

    @Override
    public CompletableFuture<Integer> retry(long id, long now) {
      throw new UnsupportedOperationException("not used by the worker");
    }

    @Override
    public CompletableFuture<Integer> retryDead(String dbname, long now) {
      throw new UnsupportedOperationException("not used by the worker");
    }

    @Override
    public CompletableFuture<Integer> drop(long id, long now) {
      throw new UnsupportedOperationException("not used by the worker");
    }
  }
}
