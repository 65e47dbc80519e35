/**
 * Time and delayed work, injected: production runs on the system clock and one timer thread,
 * tests on {@code ManualScheduler}, which moves time forward by hand instead of sleeping.
 */
package io.possync.time;
