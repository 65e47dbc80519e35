package io.possync.app;

import io.possync.config.AccessSettings;
import io.possync.config.Settings;
import io.possync.config.SettingsException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses to expose an unauthenticated server: {@code auth.mode=none} (the original's open door)
 * only on a loopback address, or where the operator said so explicitly.
 */
final class Exposure {
  private static final Logger LOG = LoggerFactory.getLogger(Exposure.class);

  private Exposure() {}

  static void check(Settings settings) {
    AccessSettings a = settings.access();
    if (!AccessSettings.NONE.equals(a.mode())) {
      return;
    }
    boolean loopback = isLoopback(settings.host())
        && (!settings.tls().enabled() || isLoopback(settings.tls().host()));
    if (loopback) {
      LOG.warn("event=auth_none host={} note=\"anyone who can reach this address can read and"
          + " change every order; fine for loopback only\"", settings.host());
      return;
    }
    if (!a.allowInsecure()) {
      throw new SettingsException("refusing to listen on " + settings.host() + " with"
          + " auth.mode=none: anyone on that network could read and change every order. Set"
          + " auth.mode=token and give each multi-session a sync_server from 'possync token"
          + " create' (recommended), or auth.mode=odoo-session behind Odoo's reverse proxy, or"
          + " accept the risk with auth.allow_insecure=true");
    }
    LOG.warn("event=auth_none_exposed host={} note=\"auth.allow_insecure=true: no"
        + " authentication on a network address\"", settings.host());
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
