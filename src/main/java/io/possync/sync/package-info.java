/**
 * The multi-session state machine (docs/protocol.md §5): orders, revisions, nonces, runs, sequence
 * numbers and per-terminal message ids. Pure: no sockets, no disk, no Jetty or SQL types.
 */
package io.possync.sync;
