package io.possync.pipeline;

import io.possync.bus.Bus;
import io.possync.store.RevisionStep;
import io.possync.store.StaleRevisionException;
import io.possync.store.Store;
import io.possync.store.StoreException;
import io.possync.sync.Outcome;
import io.possync.sync.StateChanges;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer (docs/architecture.md): takes outcomes in the order they were decided, writes
 * as many as are waiting in one transaction, and only after the commit publishes their
 * notifications and lets the callers answer. A crash before the commit loses nothing that was
 * acknowledged; ids are reserved in commit order, so they become visible in id order.
 *
 * <p>Threads: everything after {@link #accept} runs on the one {@code possync-commit} thread: the
 * transaction, the bus's append (which answers the polls it wakes) and the completion of the
 * callers' futures (which writes their HTTP answers). {@link #accept} itself never blocks: callers
 * bound what waits here before taking any lock (the pipeline's admission).
 */
public final class GroupCommitter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);
  /** Most outcomes in one transaction. */
  private static final int MAX_BATCH = 1024;

  private final Store store;
  private final Bus bus;
  private final Clock clock;
  private final CommitListener listener;
  private final BlockingQueue<Pending> queue;
  private final int capacity;
  private final Thread thread;
  private volatile boolean running = true;

  private record Pending(Outcome outcome, RevisionStep step, CompletableFuture<Void> done,
      Runnable task) {}

  /**
   * @param capacity work waiting beyond which {@link #trySubmit} refuses at once
   * @param listener told of every transaction (size, duration) and of every failed one
   */
  public GroupCommitter(Store store, Bus bus, Clock clock, int capacity,
      CommitListener listener) {
    this.listener = listener;
    this.store = store;
    this.bus = bus;
    this.clock = clock;
    this.capacity = capacity;
    this.queue = new LinkedBlockingQueue<>();
    this.thread = new Thread(this::run, "possync-commit");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Queues an outcome behind those accepted before it; the future completes once it is durable and
   * its notifications are published. Never blocks.
   */
  public CompletableFuture<Void> accept(Outcome outcome) {
    return accept(outcome, null);
  }

  /**
   * Like {@link #accept(Outcome)}, for a decision on a multi-session: a shared store commits it
   * only if the multi-session is still at the revision it was decided on ({@code step}).
   */
  public CompletableFuture<Void> accept(Outcome outcome, RevisionStep step) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    enqueue(new Pending(outcome, step, done, null), done);
    return done;
  }

  /** Runs a store task (retention purge) on the writer thread, between commits. */
  public CompletableFuture<Void> submit(Runnable task) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    enqueue(new Pending(null, null, done, task), done);
    return done;
  }

  /**
   * Like {@link #submit}, but never waits for room in the queue: when it is full the future fails
   * at once. For probes that must answer quickly however busy the writer is.
   */
  public CompletableFuture<Void> trySubmit(Runnable task) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!running) {
      done.completeExceptionally(new StoreException("the server is stopping"));
    } else if (queue.size() >= capacity) {
      done.completeExceptionally(new StoreException("the commit queue is full ("
          + queue.size() + " outcomes waiting)"));
    } else {
      queue.add(new Pending(null, null, done, task));
    }
    return done;
  }

  private void enqueue(Pending p, CompletableFuture<Void> done) {
    if (!running) {
      done.completeExceptionally(new StoreException("the server is stopping"));
      return;
    }
    queue.add(p);
  }

  private void run() {
    List<Pending> batch = new ArrayList<>(MAX_BATCH);
    while (running || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        if (first.task != null) {
          runTask(first);
          continue;
        }
        batch.add(first);
        while (batch.size() < MAX_BATCH) {
          Pending next = queue.peek();
          if (next == null || next.task != null) {
            break;
          }
          batch.add(queue.poll());
        }
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("event=commit_loop_error error={}", e.toString(), e);
      } finally {
        batch.clear();
      }
    }
  }

  private void runTask(Pending p) {
    try {
      p.task.run();
      p.done.complete(null);
    } catch (RuntimeException e) {
      LOG.warn("event=store_task_failed error={}", e.toString());
      p.done.completeExceptionally(e);
    }
  }

  private void commit(List<Pending> batch) {
    if (store.shared()) {
      commitShared(batch);
      return;
    }
    int count = 0;
    for (Pending p : batch) {
      count += p.outcome.notifications().size();
    }
    long now = clock.millis();
    long next = count == 0 ? 0 : bus.reserve(count);
    List<Notification> notifications = new ArrayList<>(count);
    List<StateChanges> changes = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      for (Outgoing out : p.outcome.notifications()) {
        notifications.add(Notification.of(next++, out, now));
      }
      if (!p.outcome.changes().isEmpty()) {
        changes.add(p.outcome.changes());
      }
    }
    long started = System.nanoTime();
    try {
      store.commit(changes, notifications, bus.lastId(), now);
    } catch (RuntimeException e) {
      fail(batch, e);
      return;
    }
    published(batch, notifications, started);
  }

  /**
   * A shared store's commit (a cluster): the store checks each decision's revision and numbers
   * the notifications from the cluster's counter, in the same transaction.
   */
  private void commitShared(List<Pending> batch) {
    List<RevisionStep> steps = new ArrayList<>(batch.size());
    List<StateChanges> changes = new ArrayList<>(batch.size());
    List<Outgoing> outgoing = new ArrayList<>();
    for (Pending p : batch) {
      if (p.step != null) {
        steps.add(p.step);
      }
      if (!p.outcome.changes().isEmpty()) {
        changes.add(p.outcome.changes());
      }
      outgoing.addAll(p.outcome.notifications());
    }
    long started = System.nanoTime();
    List<Notification> notifications;
    try {
      notifications = store.commitNumbered(steps, changes, outgoing, clock.millis());
    } catch (StaleRevisionException e) {
      refuseStale(batch, e);
      return;
    } catch (RuntimeException e) {
      fail(batch, e);
      return;
    }
    published(batch, notifications, started);
  }

  /**
   * Another node moved some of the batch's multi-sessions first. Only their outcomes are refused
   * (and decided again on fresh state); the rest of the batch was decided on other
   * multi-sessions and is committed at once, in a new transaction. Failing the whole batch made
   * every multi-session of a busy node pay for one contended one (two nodes under load: 60
   * updates/s instead of a thousand). Outcomes still queued on a refused copy name a revision
   * the store never had, and are refused at their own turn.
   */
  private void refuseStale(List<Pending> batch, StaleRevisionException stale) {
    List<Pending> rest = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      if (p.step != null && stale.stale().contains(p.step.key())) {
        p.done.completeExceptionally(new CommitFailedException(stale.getMessage(), stale));
      } else {
        rest.add(p);
      }
    }
    LOG.debug("event=commit_stale refused={} kept={} error={}", batch.size() - rest.size(),
        rest.size(), stale.getMessage());
    if (rest.size() == batch.size()) {
      fail(batch, stale); // nothing named: refuse it all rather than loop
    } else if (!rest.isEmpty()) {
      commitShared(rest);
    }
  }

  private void published(List<Pending> batch, List<Notification> notifications, long started) {
    listener.committed(batch.size(), System.nanoTime() - started);
    bus.append(notifications);
    for (Pending p : batch) {
      p.done.complete(null);
    }
  }

  private void fail(List<Pending> batch, RuntimeException e) {
    if (e instanceof StaleRevisionException) {
      // Another node changed a multi-session first: normal in a cluster, decided again at once.
      LOG.debug("event=commit_stale outcomes={} error={}", batch.size(), e.getMessage());
    } else {
      listener.commitFailed(batch.size());
      LOG.error("event=commit_failed outcomes={} error={}", batch.size(), e.getMessage());
    }
    // Nothing of the batch is durable: none of it is published or acknowledged. Outcomes queued
    // behind it were decided on top of it, so they fail too; their multi-sessions reload.
    CommitFailedException failure = new CommitFailedException(e.getMessage(), e);
    for (Pending p : batch) {
      p.done.completeExceptionally(failure);
    }
    List<Pending> behind = new ArrayList<>();
    queue.drainTo(behind);
    for (Pending p : behind) {
      if (p.task != null) {
        runTask(p);
      } else {
        p.done.completeExceptionally(failure);
      }
    }
  }

  /** Commits what is queued, then stops the writer. */
  @Override
  public void close() {
    running = false;
    queue.offer(new Pending(null, null, new CompletableFuture<>(), () -> { })); // wake the writer now
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
