/** Command line, wiring and lifecycle: the one place where the parts are put together. */
package io.possync.app;
