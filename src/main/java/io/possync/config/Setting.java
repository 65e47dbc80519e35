package io.possync.config;

import java.util.Locale;

/**
 * One row of {@link SettingsTable}: a key of {@code conf/possync.properties}, its default as
 * written there, how its text becomes a value, and what it is for.
 */
record Setting<T>(String key, String defaultValue, Parser<T> parser, String description) {

  /** The value of {@code raw}, or a {@link SettingsException} naming this key. */
  T parse(String raw) {
    return parser.parse(key, raw);
  }

  /** The environment variable that overrides {@code key}. */
  static String envName(String key) {
    return "POSSYNC_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }
}
