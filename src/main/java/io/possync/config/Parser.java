package io.possync.config;

import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the text of one setting into its value, bounds included. Every failure is a
 * {@link SettingsException} whose message starts with the key, so that the operator knows which
 * line to fix.
 */
@FunctionalInterface
interface Parser<T> {
  T parse(String key, String raw);

  /** Then refuses values that fail {@code ok}, with "key problem" as the message. */
  default Parser<T> check(Predicate<? super T> ok, String problem) {
    return (key, raw) -> {
      T value = parse(key, raw);
      if (!ok.test(value)) {
        throw new SettingsException(key + " " + problem);
      }
      return value;
    };
  }

  /** Then turns the checked value into another (tidying, splitting, clamping). */
  default <U> Parser<U> map(Function<? super T, ? extends U> f) {
    return (key, raw) -> f.apply(parse(key, raw));
  }

  /** Any text, empty included. */
  static Parser<String> text() {
    return (key, raw) -> raw;
  }

  static Parser<String> nonEmpty() {
    return text().check(s -> !s.isEmpty(), "must not be empty");
  }

  /** A comma-separated list; empty for none. */
  static Parser<List<String>> list() {
    return text().map(s -> s.isEmpty() ? List.of() : List.of(s.split("\\s*,\\s*")));
  }

  static Parser<Path> path() {
    return nonEmpty().map(Path::of);
  }

  static Parser<Boolean> bool() {
    return (key, raw) -> {
      String value = raw.toLowerCase(Locale.ROOT);
      if (!value.equals("true") && !value.equals("false")) {
        throw new SettingsException(key + " must be true or false, not '" + raw + "'");
      }
      return value.equals("true");
    };
  }

  static Parser<Integer> integer(int min, int max) {
    return bounded(Integer::parseInt, "", min, max);
  }

  /**
   * A duration in whole seconds: a plain number of seconds, or with a unit s, min (or m), h or d:
   * {@code 50s}, {@code 10min}, {@code 7d}.
   */
  static Parser<Duration> seconds(int min, int max) {
    return bounded(Parser::durationSeconds, " of seconds, plain or with a unit s, min, h or d"
        + " (e.g. 50s)", min, max).map(Duration::ofSeconds);
  }

  /**
   * A size in bytes: a plain number, or with a unit KB, MB or GB (1024-based, as the JVM's -Xmx
   * and logback read them; case and a space before the unit do not matter): {@code 256MB}.
   */
  static Parser<Long> bytes(long min) {
    return (key, raw) -> {
      long value;
      try {
        value = FileSize.valueOf(raw).getSize();
      } catch (IllegalArgumentException e) {
        throw new SettingsException(key + " must be a number of bytes, plain or with KB, MB or GB"
            + " (e.g. 256MB), not '" + raw + "'");
      }
      if (value < min) {
        throw new SettingsException(key + " must be at least " + min + " bytes, not " + raw);
      }
      return value;
    };
  }

  /**
   * One of an enum's constants, by its {@code toString()} in any case; the message lists them,
   * each in single quotes if {@code quoted}.
   */
  static <E extends Enum<E>> Parser<E> oneOf(E[] choices, boolean quoted) {
    List<String> names = Arrays.stream(choices)
        .map(c -> quoted ? "'" + c + "'" : c.toString()).toList();
    String expected = String.join(", ", names.subList(0, names.size() - 1)) + " or "
        + names.get(names.size() - 1);
    return (key, raw) -> {
      String value = raw.toLowerCase(Locale.ROOT);
      for (E c : choices) {
        if (c.toString().equals(value)) {
          return c;
        }
      }
      throw new SettingsException(key + " must be " + expected + ", not '" + raw + "'");
    };
  }

  private static Parser<Integer> bounded(Function<String, Integer> f, String unit, int min,
      int max) {
    return (key, raw) -> {
      int value;
      try {
        value = f.apply(raw);
      } catch (NumberFormatException e) {
        throw new SettingsException(key + " must be a whole number" + unit + ", not '" + raw
            + "'");
      }
      if (value < min || value > max) {
        throw new SettingsException(key + " must be between " + min + " and " + max + ", not "
            + raw);
      }
      return value;
    };
  }

  Pattern DURATION = Pattern.compile("(\\d{1,10})\\s*(s|sec|m|min|h|d)?",
      Pattern.CASE_INSENSITIVE);

  private static Integer durationSeconds(String raw) {
    Matcher m = DURATION.matcher(raw);
    if (!m.matches()) {
      throw new NumberFormatException(raw);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    long factor = switch (unit) {
      case "m", "min" -> 60;
      case "h" -> 3600;
      case "d" -> 86_400;
      default -> 1;
    };
    return (int) Math.min(Integer.MAX_VALUE, n * factor);
  }
}
