package io.possync.bus;

import io.possync.wire.Ids;
import io.possync.wire.Notification;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * The long-polling bus as the rest of the server sees it: the commit writer hands it notifications
 * with their ids, terminals poll it with the highest id they saw (Odoo's bus, docs/protocol.md
 * §3.2, §4).
 *
 * <p>The contract every implementation keeps (the in-memory one and any later one, such as a bus
 * shared by several nodes through the database):
 *
 * <ul>
 *   <li><b>Ids</b> are strictly increasing, never reused (not after eviction, not after a
 *       restart: see {@link #restore}) and stay at or below {@link #MAX_ID}.
 *   <li><b>One writer.</b> {@link #reserve} and {@link #append} are called by one thread only, the
 *       commit writer: it reserves ids for a batch, makes the batch durable, then appends it. Ids
 *       reserved and never appended (a failed commit) are simply never seen.
 *   <li><b>Visible in id order.</b> A poller never skips an id that commits late: once a poll has
 *       been answered with id {@code n}, no id below {@code n} on its channels becomes visible
 *       later. (The reference server's race, docs/protocol.md §7.3, is exactly that.)
 *   <li><b>{@code last}.</b> A poll with {@code last > 0} gets what its channels hold with
 *       {@code id > last}; a first poll ({@code last == 0}) gets what its channels received in the
 *       last {@link #FIRST_POLL_WINDOW}. A {@code last} above the highest id handed out moves the
 *       counter past it, so that client sees our next ids (docs/protocol.md §4.4), but never
 *       beyond {@link #MAX_JUMP}.
 *   <li><b>Exactly one answer.</b> Each poll is answered exactly once — at once, when a
 *       notification arrives on one of its channels, at its timeout, or by {@link #releaseAll} —
 *       unless it is cancelled first, in which case it is never answered.
 * </ul>
 */
public interface Bus {
  /** Odoo's {@code TIMEOUT}: a first poll ({@code last == 0}) sees this much history. */
  Duration FIRST_POLL_WINDOW = Duration.ofSeconds(50);
  /** Ids stay below 2^53 so that JavaScript clients hold them exactly (docs/protocol.md §4.4). */
  long MAX_ID = Ids.MAX_SAFE;
  /**
   * Highest value a client's {@code last} may move the counter to (see {@link #poll}): half of
   * {@link #MAX_ID}, so that whatever clients send, ids never run past 2^53 (the 2^52 ids left
   * last 140 years at a million a second). Without the bound one poll with
   * {@code last = 2^53 - 1} made every later id unusable for every client (found by FuzzTest).
   */
  long MAX_JUMP = 1L << 52;

  /**
   * Reserves {@code count} consecutive ids for notifications that will be {@link #append}ed once
   * they are durable, and returns the first. Reserved ids count as handed out, so a poll's
   * {@code last} can never overtake them. Commit writer only.
   */
  long reserve(int count);

  /**
   * Makes notifications with reserved ids pollable, in id order, and answers the polls waiting on
   * their channels (on the calling thread). Commit writer only, in the order ids were reserved.
   */
  void append(List<Notification> batch);

  /**
   * Answers a poll: at once if anything is there (or {@code peek}), else parks it for
   * {@code timeout}, holding no thread. Returns a handle that cancels a parked poll (its client is
   * gone: it will never be answered); cancelling an answered poll does nothing.
   *
   * @throws IllegalArgumentException if {@code last} is above {@link #MAX_ID}
   * @throws PollLimitException       if the poll would have to be parked and the bound on held
   *                                  polls is reached
   */
  Runnable poll(Collection<String> channels, long last, boolean peek, Duration timeout,
      PollCallback callback);

  /**
   * At start-up, before any poll or reservation: ids continue above {@code lastHandedOut} and the
   * notifications of a previous run (in id order) are pollable again.
   */
  void restore(long lastHandedOut, List<Notification> retained);

  /** Highest id handed out (reserved) so far. */
  long lastId();

  /** Number of polls currently parked. */
  int heldPolls();

  /** Approximate memory the retained notifications take, in bytes. */
  long retainedBytes();

  /** Drops notifications older than the retention; called periodically. */
  void sweep();

  /**
   * Answers every parked poll now with what it would get at its timeout (normally nothing); used
   * when the server stops, so that terminals re-poll at once instead of seeing a broken request.
   */
  void releaseAll();
}
