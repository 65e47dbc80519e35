package io.possync.e2e;

import com.google.gson.JsonElement;
import java.util.List;

/** What PosSync must answer to one step of the replay. */
sealed interface Expectation {

  /**
   * This exact answer (parsed JSON, numbers by value). In poll answers each notification's
   * {@code id} is its reference position (see {@link NotificationIds}): PosSync's ids are
   * checked for order, not value.
   *
   * @param ignored members not compared, as dotted paths such as {@code error.data.debug}
   */
  record Answer(int status, JsonElement body, List<String> ignored) implements Expectation {
    Answer(int status, JsonElement body) {
      this(status, body, List.of());
    }
  }

  /**
   * An error envelope the POS treats exactly like the reference's errors (docs/protocol.md §2.5):
   * HTTP 200, {@code error.code} 200, {@code error.message} "Odoo Server Error" and a
   * {@code data} object whose {@code name} is non-empty and does not start with "NotFound", with
   * {@code message}, {@code arguments} and {@code exception_type}. The Python exception names
   * are not PosSync's to copy.
   */
  record ServerError() implements Expectation {}
}
