/**
 * The multi-session rules (docs/protocol.md §5): orders, revisions, merging, nonces, runs,
 * sequence numbers, registered terminals and their message ids, the PONG. Pure: no sockets, no
 * disk, no locks of its own; the pipeline serializes the decisions of one multi-session.
 */
package io.possync.sync;
