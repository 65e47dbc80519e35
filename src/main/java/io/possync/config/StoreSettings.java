package io.possync.config;

import java.nio.file.Path;

/**
 * The durable state from {@code store.*}.
 *
 * @param dataDir  where the SQLite database lives ({@code store.data_dir})
 * @param sync     what an acknowledged change survives ({@code store.sync})
 * @param maxBytes largest size of the database, 0 for no limit ({@code store.max_bytes})
 */
public record StoreSettings(Path dataDir, StoreSync sync, long maxBytes) {}
