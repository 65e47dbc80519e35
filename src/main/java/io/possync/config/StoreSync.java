package io.possync.config;

/** {@code store.sync}: how hard an acknowledged change is made durable. */
public enum StoreSync {
  /** Survives the process being killed; the OS may lose the last commits on power loss. */
  PROCESS("process"),
  /** fsync on every commit: survives power loss. */
  POWER("power");

  private final String value;

  StoreSync(String value) {
    this.value = value;
  }

  /** As written in the configuration (log lines and messages show this). */
  @Override
  public String toString() {
    return value;
  }
}
