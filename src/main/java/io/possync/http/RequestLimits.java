package io.possync.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per client address: requests per second, polls held at once, and refusals logged at most once
 * a minute (a misconfigured tablet retrying every few seconds must not flood the log).
 */
final class RequestLimits {
  private static final Logger LOG = LoggerFactory.getLogger(RequestLimits.class);

  /** Requests counted in the current second of one address. */
  private static final class Window {
    long second;
    int count;
  }

  private final int perSecond;
  private final int heldPerAddress;
  private final Cache<String, Window> windows =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(1)).build();
  private final Cache<String, AtomicInteger> held =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(10)).build();
  private final Cache<String, Boolean> loggedRefusals =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(1)).build();

  /**
   * @param perSecond      requests per second per address, 0 for no limit
   * @param heldPerAddress polls held at once per address
   */
  RequestLimits(int perSecond, int heldPerAddress) {
    this.perSecond = perSecond;
    this.heldPerAddress = heldPerAddress;
  }

  /** Counts a request; false when the address is over its rate. */
  boolean admit(String address, long nowMillis) {
    if (perSecond <= 0) {
      return true;
    }
    Window w = windows.get(address, a -> new Window());
    synchronized (w) {
      long second = nowMillis / 1000;
      if (w.second != second) {
        w.second = second;
        w.count = 0;
      }
      return ++w.count <= perSecond;
    }
  }

  /** Takes a held-poll slot; false when the address holds too many. */
  boolean holdPoll(String address) {
    AtomicInteger n = held.get(address, a -> new AtomicInteger());
    if (n.incrementAndGet() > heldPerAddress) {
      n.decrementAndGet();
      return false;
    }
    return true;
  }

  void releasePoll(String address) {
    AtomicInteger n = held.getIfPresent(address);
    if (n != null) {
      n.decrementAndGet();
    }
  }

  /** Logs a refusal unless this address had one logged in the last minute. */
  void logRefusal(String address, String reason) {
    if (loggedRefusals.asMap().putIfAbsent(address, Boolean.TRUE) == null) {
      LOG.warn("event=access_refused address={} reason=\"{}\" (further refusals of this address"
          + " are not logged for a minute)", address, reason);
    }
  }
}
