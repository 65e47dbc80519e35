package io.possync.http;

/** Who sent a call: the client's address and what it was admitted to touch. */
record Caller(String address, Grant grant) {}
