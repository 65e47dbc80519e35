package io.possync.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the load generator reads about the machine and the server process, all local: the server's
 * heap through {@code jcmd PID GC.heap_info} (after {@code jcmd PID GC.run} for the live set),
 * CPU time of both processes, machine-wide CPU use from {@code /proc/stat}, and established TCP
 * connections to the server's port from {@code /proc/net/tcp}.
 */
final class ServerProbe {
  /**
   * A heap or generation line of {@code GC.heap_info}, e.g. G1's
   * {@code garbage-first heap   total 262144K, used 45678K [...]}; Serial and Parallel print one
   * per generation (summed), Metaspace lines have another form and do not match.
   */
  private static final Pattern HEAP_LINE =
      Pattern.compile("total\\s+(\\d+)K,\\s*used\\s+(\\d+)K");
  /** ZGC: {@code ZHeap           used 30M, capacity 256M, max capacity 256M}. */
  private static final Pattern ZHEAP_LINE =
      Pattern.compile("ZHeap\\s+used\\s+(\\d+)M,\\s*capacity\\s+(\\d+)M");
  private static final Pattern MAX_HEAP = Pattern.compile("-XX:MaxHeapSize=(\\d+)");

  private final long pid;
  private final String jcmd;

  ServerProbe(long pid) {
    this.pid = pid;
    Path sibling = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    this.jcmd = Files.isExecutable(sibling) ? sibling.toString() : "jcmd";
  }

  /** Heap as {@code GC.heap_info} shows it: committed and used bytes (summed over generations). */
  record Heap(long committedBytes, long usedBytes) {
    double usedMb() {
      return usedBytes / 1048576.0;
    }

    double committedMb() {
      return committedBytes / 1048576.0;
    }
  }

  /** The heap now, garbage included. */
  Optional<Heap> heap() {
    String out = run("GC.heap_info");
    if (out == null) {
      return Optional.empty();
    }
    Matcher m = HEAP_LINE.matcher(out);
    long committed = 0;
    long used = 0;
    boolean found = false;
    while (m.find()) {
      found = true;
      committed += Long.parseLong(m.group(1)) * 1024;
      used += Long.parseLong(m.group(2)) * 1024;
    }
    Matcher z = ZHEAP_LINE.matcher(out);
    if (!found && z.find()) {
      return Optional.of(new Heap(Long.parseLong(z.group(2)) << 20, Long.parseLong(z.group(1)) << 20));
    }
    return found ? Optional.of(new Heap(committed, used)) : Optional.empty();
  }

  /** Runs a full GC in the server ({@code jcmd GC.run}), then reads the heap: the live set. */
  Optional<Heap> liveHeap() {
    if (run("GC.run") == null) {
      return Optional.empty();
    }
    return heap();
  }

  /** The server's {@code -Xmx} as the JVM resolved it. */
  OptionalLong maxHeapBytes() {
    String out = run("VM.flags");
    if (out == null) {
      return OptionalLong.empty();
    }
    Matcher m = MAX_HEAP.matcher(out);
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  /** CPU time the server process has used so far, in nanoseconds. */
  OptionalLong serverCpuNanos() {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration())
        .map(d -> OptionalLong.of(d.toNanos())).orElse(OptionalLong.empty());
  }

  /** CPU time this process (the load generator) has used so far, in nanoseconds. */
  static long selfCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** Machine-wide CPU counters from /proc/stat: {busy, total} jiffies, or null off Linux. */
  static long[] machineCpu() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
      String[] f = first.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0); // idle+iowait
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * TCP connections in state ESTABLISHED whose local port is {@code port}: the server's side of
   * every client connection (held polls included), or -1 if /proc/net/tcp cannot be read.
   */
  static int establishedTo(int port) {
    int count = 0;
    boolean any = false;
    for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(file), StandardCharsets.US_ASCII);
      } catch (IOException e) {
        continue;
      }
      any = true;
      for (int i = 1; i < lines.size(); i++) {
        String[] f = lines.get(i).trim().split("\\s+");
        if (f.length < 4 || !"01".equals(f[3])) {
          continue;
        }
        String local = f[1];
        int colon = local.lastIndexOf(':');
        if (colon > 0 && Integer.parseInt(local.substring(colon + 1), 16) == port) {
          count++;
        }
      }
    }
    return any ? count : -1;
  }

  /** Runs {@code jcmd PID <command>}; null (with a note on stderr) if that fails. */
  private String run(String command) {
    try {
      Process p = new ProcessBuilder(jcmd, Long.toString(pid), command)
          .redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        System.err.println("bench: jcmd " + command + " timed out");
        return null;
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        System.err.println("bench: jcmd " + pid + " " + command + " failed: " + text.strip());
        return null;
      }
      return text;
    } catch (IOException e) {
      System.err.println("bench: cannot run jcmd: " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
