package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code conf/logback-json.xml}, as shipped: logback's own JSON encoder writes one JSON object per
 * line on standard error, with PosSync's key=value message whole and a stack trace inside.
 */
class JsonLogTest {
  @Test
  void oneJsonObjectPerLineWithTheMessageAndTheException() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    LoggerContext context = new LoggerContext(); // of its own: the tests' logging stays as it is
    context.setMDCAdapter(new LogbackMDCAdapter());
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(Path.of("conf", "logback-json.xml").toFile());
      org.slf4j.Logger log = context.getLogger("io.possync.app.PosSync");
      log.info("event=started host={} note=\"a \\\"quoted\\\" word\"", "127.0.0.1");
      log.error("event=sweep_failed error={}", "boom", new IllegalStateException("disk\nfull"));
      context.getLogger("org.eclipse.jetty.server.Server").info("not shown: jetty is at WARN");
    } finally {
      context.stop();
      System.setErr(original);
    }

    String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines).hasSize(2);
    JsonObject started = JsonParser.parseString(lines[0]).getAsJsonObject();
    assertThat(started.get("level").getAsString()).isEqualTo("INFO");
    assertThat(started.get("loggerName").getAsString()).isEqualTo("io.possync.app.PosSync");
    assertThat(started.get("formattedMessage").getAsString())
        .isEqualTo("event=started host=127.0.0.1 note=\"a \\\"quoted\\\" word\"");
    assertThat(started.get("timestamp").getAsLong()).isPositive();
    JsonObject failed = JsonParser.parseString(lines[1]).getAsJsonObject();
    assertThat(failed.get("level").getAsString()).isEqualTo("ERROR");
    assertThat(failed.getAsJsonObject("throwable").get("message").getAsString())
        .isEqualTo("disk\nfull");
  }
}
