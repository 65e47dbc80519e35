package io.possync.store;

/**
 * A capability token as stored: only the SHA-256 hash of its secret, bound to one multi-session.
 *
 * @param id        short public id for listing and revoking (the hash's first 12 hex digits)
 * @param revokedAt clock millis of revocation, or null while valid
 */
public record AccessToken(String id, String hash, String dbname, long multiSessionId,
    String label, long createdAt, Long revokedAt) {}
