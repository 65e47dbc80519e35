package io.possync.app;

import io.possync.config.AccessSettings;
import io.possync.config.AuthMode;
import io.possync.config.Settings;
import io.possync.config.SettingsException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses to expose an unauthenticated server: {@code auth.mode=none} (the original's open door)
 * only on a loopback address, or where the operator said so explicitly; the admin listener
 * without {@code admin.token} only on a loopback address.
 */
final class Exposure {
  private static final Logger LOG = LoggerFactory.getLogger(Exposure.class);
  private static final java.util.concurrent.atomic.AtomicBoolean LOOPBACK_NOTED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private Exposure() {}

  /** How open the POS listener is with these settings. */
  enum Risk {
    /** Every request is authenticated (auth.mode token or odoo-session). */
    AUTHENTICATED,
    /** auth.mode=none on loopback addresses only: only this machine can reach it. */
    OPEN_ON_LOOPBACK,
    /** auth.mode=none on a network address, allowed by auth.allow_insecure=true. */
    OPEN_ON_NETWORK
  }

  static void check(Settings settings) {
    switch (assess(settings)) {
      // The shipped default: worth a line once per process, not a warning at every start.
      case OPEN_ON_LOOPBACK -> {
        if (LOOPBACK_NOTED.compareAndSet(false, true)) {
          LOG.info("event=auth_none host={} note=\"anyone who can reach this address can read and"
              + " change every order; fine for loopback only\"", settings.http().host());
        }
      }
      case OPEN_ON_NETWORK -> LOG.warn("event=auth_none_exposed host={} note=\"auth.allow_insecure"
          + "=true: no authentication on a network address\"", settings.http().host());
      default -> { }
    }
  }

  /**
   * How open the listeners are; {@code possync check} says it in words, {@code serve} logs it.
   *
   * @throws SettingsException when auth.mode=none would listen on a network address without
   *                           auth.allow_insecure=true, or the admin listener would without a token
   */
  static Risk assess(Settings settings) {
    checkAdmin(settings);
    AccessSettings a = settings.access();
    if (a.mode() != AuthMode.NONE) {
      return Risk.AUTHENTICATED;
    }
    boolean loopback = isLoopback(settings.http().host())
        && (!settings.tls().enabled() || isLoopback(settings.tls().host()));
    if (loopback) {
      return Risk.OPEN_ON_LOOPBACK;
    }
    if (!a.allowInsecure()) {
      throw new SettingsException("refusing to listen on " + settings.http().host() + " with"
          + " auth.mode=none: anyone on that network could read and change every order. Set"
          + " auth.mode=token and give each multi-session a sync_server from 'possync token"
          + " create' (recommended), or auth.mode=odoo-session behind Odoo's reverse proxy, or"
          + " accept the risk with auth.allow_insecure=true");
    }
    return Risk.OPEN_ON_NETWORK;
  }

  /**
   * The status page shows every terminal and order count, and the outbox's errors: off loopback
   * it needs a token. There is no override, as setting the token is as easy as allowing none.
   */
  static void checkAdmin(Settings settings) {
    String host = settings.admin().host();
    if (settings.admin().hasToken() || isLoopback(host)) {
      return;
    }
    throw new SettingsException("refusing to start the admin listener on " + host + " without"
        + " a token: anyone on that network could read the status page and the metrics. Set"
        + " admin.token (or the environment variable POSSYNC_ADMIN_TOKEN) to a secret of at least "
        + io.possync.config.AdminSettings.MIN_TOKEN_LENGTH + " characters, e.g. from 'openssl"
        + " rand -hex 16', or keep admin.host on a loopback address such as 127.0.0.1");
  }

  private static boolean isLoopback(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
