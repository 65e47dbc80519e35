package io.possync.odoo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;

/**
 * Switches Java deserialization off for the whole process ({@link #installIfUnset()}, first thing
 * in {@code main}), and checks at start that it is off ({@code -Djdk.serialFilter=!*} or the
 * filter installed by the program). PosSync never deserializes Java objects; the filter is the
 * second line of defence should a library try to (Apache XML-RPC 3.1.3 does for a fault's
 * faultCause, CVE-2019-17570, which {@link StrictResponseParser} already refuses).
 */
public final class SerialFilterCheck {
  /** The option the launcher passes; named in every message. */
  public static final String REQUIRED_OPTION = "-Djdk.serialFilter=!*";

  /** Classes the filter must refuse: our own, a JDK collection, an array. */
  private static final List<Class<?>> PROBES =
      List.of(Probe.class, HashMap.class, Object[].class);

  private SerialFilterCheck() {}

  /**
   * Installs the process-wide filter {@code !*} unless one is already set (by
   * {@code -Djdk.serialFilter}, which {@link #check()} then judges). Call it before any class that
   * may deserialize is loaded; a launcher then needs no option of its own.
   *
   * @return true if this call installed it
   */
  public static synchronized boolean installIfUnset() {
    if (ObjectInputFilter.Config.getSerialFilter() != null) {
      return false;
    }
    ObjectInputFilter.Config.setSerialFilter(ObjectInputFilter.Config.createFilter("!*"));
    return true;
  }

  /**
   * Empty when the process-wide filter refuses every class, including through the JVM's filter
   * factory on a fresh stream; otherwise why not, in one sentence for the operator.
   */
  public static Optional<String> check() {
    ObjectInputFilter global = ObjectInputFilter.Config.getSerialFilter();
    if (global == null) {
      return Optional.of("Java deserialization is not switched off: no process-wide filter is"
          + " set; start Java with " + REQUIRED_OPTION);
    }
    return check(global, false);
  }

  /** The same check for a given filter, applied to the probe stream explicitly. */
  static Optional<String> check(ObjectInputFilter filter) {
    return check(filter, true);
  }

  private static Optional<String> check(ObjectInputFilter filter, boolean setOnStream) {
    for (Class<?> probe : PROBES) {
      ObjectInputFilter.Status status = filter.checkInput(new ProbeInfo(probe));
      if (status != ObjectInputFilter.Status.REJECTED) {
        return Optional.of("the Java deserialization filter does not reject " + probe.getName()
            + " (" + status + "); start Java with " + REQUIRED_OPTION);
      }
    }
    // End to end: what a stream actually does, whatever filter factory is installed.
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(serializedProbe()))) {
      if (setOnStream) {
        in.setObjectInputFilter(filter);
      }
      in.readObject();
      return Optional.of("Java deserialization still reads objects; start Java with "
          + REQUIRED_OPTION);
    } catch (InvalidClassException expected) {
      return Optional.empty();
    } catch (IOException | ClassNotFoundException | RuntimeException e) {
      return Optional.of("cannot verify the Java deserialization filter (" + e
          + "); start Java with " + REQUIRED_OPTION);
    }
  }

  private static byte[] serializedProbe() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(new Probe());
    }
    return bytes.toByteArray();
  }

  /** A harmless class to offer the filter. */
  private static final class Probe implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The filter's view of one object of class {@code type} at the top of a stream. */
  private record ProbeInfo(Class<?> serialClass) implements ObjectInputFilter.FilterInfo {
    @Override
    public long arrayLength() {
      return serialClass.isArray() ? 0 : -1;
    }

    @Override
    public long depth() {
      return 1;
    }

    @Override
    public long references() {
      return 0;
    }

    @Override
    public long streamBytes() {
      return 0;
    }
  }
}
