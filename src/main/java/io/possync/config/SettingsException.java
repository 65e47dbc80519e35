package io.possync.config;

/** A setting is missing, unknown or out of range; the message names it and says what is wrong. */
public final class SettingsException extends RuntimeException {
  public SettingsException(String message) {
    super(message);
  }
}
