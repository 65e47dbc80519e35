package io.possync.http;

import java.util.Set;

/** {@code auth.mode=none}: the original server's behaviour, within the dbname allow-list. */
final class OpenAccess implements AccessControl {
  private final Grant grant;

  OpenAccess(Set<String> allowedDbnames) {
    this.grant = Grant.any(allowedDbnames);
  }

  @Override
  public Admission admit(String path, String cookie) {
    return new Admission(grant, path);
  }
}
