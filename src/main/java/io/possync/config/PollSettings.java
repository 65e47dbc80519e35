package io.possync.config;

import java.time.Duration;

/**
 * Long polling from {@code poll.*}.
 *
 * @param timeout how long a poll with nothing to deliver is held ({@code poll.timeout})
 * @param maxHeld most polls held at once ({@code poll.max_held})
 */
public record PollSettings(Duration timeout, int maxHeld) {}
