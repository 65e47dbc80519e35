package io.possync.e2e;

/**
 * {@link DeploymentScenariosTest} again, with the server restarted between every two steps: with
 * durable state a restart is invisible to terminals (docs/protocol.md §4.4, §6 item 21).
 */
class DeploymentScenariosWithRestartsTest extends DeploymentScenariosTest {
  @Override
  Shop.Restarts restarts() {
    return Shop.Restarts.BETWEEN_STEPS;
  }
}
