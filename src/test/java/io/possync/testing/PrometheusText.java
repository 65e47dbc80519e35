package io.possync.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed scrape in the Prometheus text format (version 0.0.4): {@code # TYPE} lines and samples
 * {@code name{label="value",...} value [timestamp]}, label values with {@code \\}, {@code \"} and
 * {@code \n} escapes. Enough to check what a scrape says, strict enough to fail on what Prometheus
 * would refuse.
 */
public final class PrometheusText {
  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;
  private final Map<String, String> types;

  private PrometheusText(List<Sample> samples, Map<String, String> types) {
    this.samples = List.copyOf(samples);
    this.types = Map.copyOf(types);
  }

  /**
   * @throws IllegalArgumentException naming the line that is not in the text format
   */
  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new HashMap<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 4 && parts[1].equals("TYPE")) {
          types.put(parts[2], parts[3].strip());
        }
        continue;
      }
      try {
        samples.add(sample(line));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("line " + n + " is not a sample: " + line + " ("
            + e.getMessage() + ")", e);
      }
    }
    return new PrometheusText(samples, types);
  }

  private static Sample sample(String line) {
    int i = 0;
    while (i < line.length() && isNameChar(line.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("no metric name");
    }
    String name = line.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        int start = i;
        while (isNameChar(line.charAt(i), i == start)) {
          i++;
        }
        String label = line.substring(start, i);
        if (label.isEmpty() || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
          throw new IllegalArgumentException("bad label at column " + i);
        }
        i += 2;
        StringBuilder value = new StringBuilder();
        while (line.charAt(i) != '"') {
          char c = line.charAt(i++);
          if (c == '\\') {
            char e = line.charAt(i++);
            value.append(switch (e) {
              case 'n' -> '\n';
              case '\\', '"' -> e;
              default -> throw new IllegalArgumentException("bad escape \\" + e);
            });
          } else {
            value.append(c);
          }
        }
        i++;
        if (labels.put(label, value.toString()) != null) {
          throw new IllegalArgumentException("label " + label + " twice");
        }
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      i++;
    }
    String[] rest = line.substring(i).strip().split(" +");
    if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
      throw new IllegalArgumentException("expected a value and at most a timestamp");
    }
    return new Sample(name, Map.copyOf(labels), value(rest[0]));
  }

  private static double value(String raw) {
    return switch (raw) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(raw);
    };
  }

  private static boolean isNameChar(char c, boolean first) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
        || !first && c >= '0' && c <= '9';
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The {@code # TYPE} of a metric family ({@code counter}, {@code gauge}, ...), or null. */
  public String type(String family) {
    return types.get(family);
  }

  /** Whether any sample has this name. */
  public boolean has(String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name));
  }

  /**
   * The samples with this name whose labels include the given pairs
   * ({@code "route", "/longpolling/poll", ...}).
   */
  public List<Sample> matching(String name, String... labelPairs) {
    if (labelPairs.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name, value pairs");
    }
    return samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
          return false;
        }
      }
      return true;
    }).toList();
  }

  /** The sum of the matching samples; 0 when there is none (a counter not yet counted). */
  public double sum(String name, String... labelPairs) {
    return matching(name, labelPairs).stream().mapToDouble(Sample::value).sum();
  }

  /**
   * The value of the one matching sample.
   *
   * @throws IllegalStateException unless exactly one sample matches
   */
  public double value(String name, String... labelPairs) {
    List<Sample> found = matching(name, labelPairs);
    if (found.size() != 1) {
      throw new IllegalStateException(found.size() + " samples " + name + " "
          + List.of(labelPairs) + ": " + found);
    }
    return found.get(0).value();
  }
}
