package io.possync.sync;

/** Durable form of a terminal: its home multi-session, last message_ID and last user. */
public record TerminalRow(TerminalKey key, long multiSessionId, long messageId, long userId) {}
