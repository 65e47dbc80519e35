package io.possync.e2e;

/**
 * {@link ConcurrentEditScenariosTest} again, with the server restarted whenever the terminals
 * agree (between the scenario's steps): merge bases live in memory only, and a restart between
 * two edits must not cost a line or a popup.
 */
class ConcurrentEditScenariosWithRestartsTest extends ConcurrentEditScenariosTest {
  @Override
  Shop.Restarts restarts() {
    return Shop.Restarts.BETWEEN_STEPS;
  }
}
