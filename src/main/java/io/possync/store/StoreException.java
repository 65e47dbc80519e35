package io.possync.store;

/** The store could not read or write (disk full, I/O error, corrupt file); nothing was written. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
