package io.possync.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Records WARN and ERROR events of every logger while attached to the root logger (bounded), and
 * threads that died of an uncaught exception, so that a test can fail on a server fault that the
 * answers alone would not show.
 */
final class LogCapture extends AppenderBase<ILoggingEvent> {
  private static final int MAX_EVENTS = 1000;

  private final List<ILoggingEvent> events = new ArrayList<>();
  private final List<String> uncaught = new ArrayList<>();
  private Thread.UncaughtExceptionHandler previousHandler;

  static LogCapture attach() {
    LogCapture c = new LogCapture();
    c.setName("fuzz-capture");
    c.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
    c.start();
    root().addAppender(c);
    c.previousHandler = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      synchronized (c) {
        c.uncaught.add(t.getName() + ": " + e);
      }
    });
    return c;
  }

  void detach() {
    root().detachAppender(this);
    stop();
    Thread.setDefaultUncaughtExceptionHandler(previousHandler);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @Override
  protected void append(ILoggingEvent e) { // AppenderBase.doAppend holds this object's lock
    if (e.getLevel().isGreaterOrEqual(Level.WARN) && events.size() < MAX_EVENTS) {
      e.prepareForDeferredProcessing();
      events.add(e);
    }
  }

  /**
   * The events a run must not have: any ERROR, and any event with a stack trace from PosSync or
   * Jetty; plus uncaught exceptions. One line each.
   */
  synchronized List<String> faults() {
    List<String> out = new ArrayList<>(uncaught.stream().map(u -> "uncaught " + u).toList());
    for (ILoggingEvent e : events) {
      boolean ours = e.getLoggerName().startsWith("io.possync")
          || e.getLoggerName().startsWith("org.eclipse.jetty");
      if (e.getLevel() == Level.ERROR || (ours && e.getThrowableProxy() != null)) {
        out.add(describe(e));
      }
    }
    return out;
  }

  /** WARN events without a stack trace: reported, not failed on. */
  synchronized List<String> warnings() {
    return events.stream().filter(e -> e.getLevel() == Level.WARN && e.getThrowableProxy() == null)
        .map(LogCapture::describe).toList();
  }

  private static String describe(ILoggingEvent e) {
    StringBuilder sb = new StringBuilder().append(e.getLevel()).append(' ')
        .append(e.getLoggerName()).append(" [").append(e.getThreadName()).append("] ")
        .append(e.getFormattedMessage());
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      sb.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      var frames = t.getStackTraceElementProxyArray();
      for (int i = 0; i < Math.min(frames.length, 12); i++) {
        sb.append("\n        ").append(frames[i].getSTEAsString());
      }
    }
    return sb.toString();
  }
}
