package io.possync.sync;

/** Identifies one order: its multi-session and its uid (decision D1). */
public record OrderKey(MultiSessionKey multiSession, String uid) {}
