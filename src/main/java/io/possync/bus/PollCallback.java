package io.possync.bus;

import io.possync.wire.Notification;

import java.util.List;

/** Receives the answer of a poll exactly once: at once, on a publish, on timeout or on cancel. */
@FunctionalInterface
public interface PollCallback {
  void complete(List<Notification> notifications);
}
