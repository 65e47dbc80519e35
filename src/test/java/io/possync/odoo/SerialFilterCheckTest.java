package io.possync.odoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.ObjectInputFilter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The start-up check that Java deserialization is off for the whole process. */
class SerialFilterCheckTest {

  @Test
  void aFilterRejectingEverythingPasses() {
    assertThat(SerialFilterCheck.check(ObjectInputFilter.Config.createFilter("!*"))).isEmpty();
  }

  @Test
  void aFilterLettingSomeClassesThroughFails() {
    assertThat(SerialFilterCheck.check(ObjectInputFilter.Config.createFilter("java.util.*;!*")))
        .hasValueSatisfying(m -> assertThat(m).contains("java.util.HashMap", "!*"));
  }

  @Test
  void aFilterThatOnlyLimitsSizesFails() {
    assertThat(SerialFilterCheck.check(ObjectInputFilter.Config.createFilter("maxdepth=5")))
        .hasValueSatisfying(m -> assertThat(m).contains("UNDECIDED"));
  }

  @Test
  void aJvmStartedWithTheOptionPasses() throws Exception {
    assertThat(runCheck("-Djdk.serialFilter=!*")).isEqualTo("OK");
  }

  @Test
  void aJvmStartedWithoutItIsToldWhatToAdd() throws Exception {
    assertThat(runCheck()).contains("no process-wide filter", "-Djdk.serialFilter=!*");
  }

  @Test
  void aJvmWithAPermissiveFilterIsToldWhatToAdd() throws Exception {
    assertThat(runCheck("-Djdk.serialFilter=java.base/*;!*"))
        .contains("does not reject java.util.HashMap");
  }

  /** What {@link SerialFilterCheck#check()} says in a fresh JVM given these options. */
  private static String runCheck(String... options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(options));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        Report.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
  }

  /** Prints the check's verdict: what the server would do at start. */
  static final class Report {
    public static void main(String[] args) {
      System.out.println(SerialFilterCheck.check().orElse("OK"));
    }
  }
}
