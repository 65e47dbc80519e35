package io.possync.bench;

import io.possync.terminal.ReceivedMessage;
import io.possync.terminal.TerminalListener;
import io.possync.terminal.VirtualTerminal;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Listens to every terminal and measures, for each {@code update_order} sent inside the measured
 * window: its round trip, and when each other terminal of its multi-session got the broadcast
 * through its poll. The broadcast is matched to the request by its {@code data.nonce}. Latencies
 * are recorded in microseconds.
 */
final class FanOutTracker implements TerminalListener {
  private static final String UPDATE = "update_order";

  /** Where a terminal sits: its multi-session and its index in it. */
  record Seat(int session, int index) {}

  private static final int DUPLICATE = -1;
  private static final int MORE = 0;
  private static final int LAST = 1;

  /** An update whose broadcast is on its way to the other terminals. */
  private static final class InFlight {
    final VirtualTerminal sender;
    final long sentNanos;
    final BitSet arrived = new BitSet();
    int remaining;
    long lastArrival;

    InFlight(VirtualTerminal sender, long sentNanos, int others) {
      this.sender = sender;
      this.sentNanos = sentNanos;
      this.remaining = others;
    }

    /**
     * Records one arrival: {@link #DUPLICATE} if this terminal had it already (a bus bug; it
     * must not complete the fan-out early), {@link #LAST} if it was the last one awaited.
     */
    synchronized int arrive(int index, long arrivalNanos) {
      if (remaining == 0 || arrived.get(index)) {
        return DUPLICATE;
      }
      arrived.set(index);
      lastArrival = Math.max(lastArrival, arrivalNanos);
      return --remaining == 0 ? LAST : MORE;
    }
  }

  private final Map<VirtualTerminal, Seat> seats;
  private final int others;
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;

  private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
  /** The send time of each terminal's update in flight (a terminal sends one at a time). */
  private final Map<VirtualTerminal, Long> sentAt = new ConcurrentHashMap<>();

  private final Recorder complete = new Recorder(3);
  private final Recorder delivery = new Recorder(3);
  private final Recorder roundTrip = new Recorder(3);
  private final LongAdder sentInWindow = new LongAdder();
  private final LongAdder sentTotal = new LongAdder();
  private final LongAdder ackedInWindow = new LongAdder();
  private final LongAdder failedInWindow = new LongAdder();
  private final LongAdder deliveries = new LongAdder();
  private final LongAdder duplicates = new LongAdder();

  /**
   * @param seats  every terminal with its seat; read-only from now on
   * @param others terminals per multi-session minus one: the recipients of each broadcast
   */
  FanOutTracker(Map<VirtualTerminal, Seat> seats, int others) {
    this.seats = Map.copyOf(seats);
    this.others = others;
  }

  /** Measures updates sent, and acknowledgements received, in {@code [start, end)}. */
  void window(long startNanos, long endNanos) {
    windowEnd = endNanos;
    windowStart = startNanos;
  }

  private boolean inWindow(long nanos) {
    return nanos >= windowStart && nanos < windowEnd;
  }

  @Override
  public void onRequestSent(VirtualTerminal terminal, String action, String orderUid,
      String nonce, long sentNanos) {
    if (!UPDATE.equals(action)) {
      return;
    }
    sentTotal.increment();
    sentAt.put(terminal, sentNanos);
    if (inWindow(sentNanos)) {
      sentInWindow.increment();
      if (others > 0 && nonce != null) {
        inFlight.put(nonce, new InFlight(terminal, sentNanos, others));
      }
    }
  }

  @Override
  public void onAnswer(VirtualTerminal terminal, String action, String orderUid, String nonce,
      boolean ok, long answeredNanos) {
    if (!UPDATE.equals(action)) {
      return;
    }
    Long sent = sentAt.remove(terminal);
    if (!inWindow(answeredNanos)) {
      return;
    }
    if (ok) {
      ackedInWindow.increment();
    } else {
      failedInWindow.increment();
    }
    if (sent != null && inWindow(sent)) {
      roundTrip.recordValue(micros(answeredNanos - sent));
    }
  }

  @Override
  public void onMessage(VirtualTerminal terminal, ReceivedMessage message) {
    if (message.nonce() == null || !UPDATE.equals(message.action())) {
      return;
    }
    InFlight f = inFlight.get(message.nonce());
    if (f == null || f.sender == terminal) {
      return; // not measured, or the sender's own echo
    }
    Seat seat = seats.get(terminal);
    if (seat == null) {
      return;
    }
    int arrival = f.arrive(seat.index(), message.arrivalNanos());
    if (arrival == DUPLICATE) {
      duplicates.increment();
      return;
    }
    deliveries.increment();
    delivery.recordValue(micros(message.arrivalNanos() - f.sentNanos));
    if (arrival == LAST) {
      inFlight.remove(message.nonce(), f);
      complete.recordValue(micros(f.lastArrival - f.sentNanos));
    }
  }

  private static long micros(long nanos) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos));
  }

  /** Measured updates whose broadcast has not reached every other terminal yet. */
  int pendingFanOuts() {
    return inFlight.size();
  }

  long sentTotal() {
    return sentTotal.sum();
  }

  /** What was measured; call once, after the run. */
  Measured result() {
    return new Measured(sentInWindow.sum(), ackedInWindow.sum(), failedInWindow.sum(),
        roundTrip.getIntervalHistogram(), complete.getIntervalHistogram(),
        delivery.getIntervalHistogram(), deliveries.sum(), inFlight.size(), duplicates.sum());
  }

  /**
   * @param sent       update_order requests sent inside the window
   * @param acked      answers (JSON-RPC results) received inside the window
   * @param failed     failed update_order requests answered inside the window
   * @param roundTrip  update round trip (µs), sent and answered inside the window
   * @param complete   fan-out to all other terminals (µs): sent → last other terminal has it
   * @param delivery   each single delivery (µs): sent → one other terminal has it
   * @param incomplete measured updates some other terminal never got (within the drain time)
   * @param duplicates broadcasts a terminal got twice (must be 0)
   */
  record Measured(long sent, long acked, long failed, Histogram roundTrip, Histogram complete,
      Histogram delivery, long deliveries, long incomplete, long duplicates) {}
}
