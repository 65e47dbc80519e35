package io.possync.bus;

import io.possync.wire.Notification;

import java.util.List;

/**
 * Receives the answer of a poll, once: at once, when a notification arrives on its channels, at
 * its timeout or when the server stops. A cancelled poll is never answered. See {@link Bus} for
 * the thread each answer comes on ({@link ParkedPoll} for a parked one).
 */
@FunctionalInterface
public interface PollCallback {
  void complete(List<Notification> notifications);
}
