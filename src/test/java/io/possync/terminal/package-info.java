/**
 * Virtual POS terminals: the client side of the pos_multi_session protocol over real HTTP, for
 * end-to-end tests and the load benchmark. A {@link io.possync.terminal.TerminalRuntime} holds
 * the shared HTTP client and threads; each {@link io.possync.terminal.VirtualTerminal} is one POS
 * page configured by a {@link io.possync.terminal.TerminalConfig}.
 */
package io.possync.terminal;
