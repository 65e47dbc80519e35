package io.possync.config;

import java.time.Duration;
import java.util.List;

/**
 * Cross-origin calls from {@code cors.*}.
 *
 * @param allowedOrigins origins allowed, or the single entry {@code *} for any
 * @param maxAge         how long browsers may cache a preflight answer
 */
public record CorsSettings(List<String> allowedOrigins, Duration maxAge) {}
