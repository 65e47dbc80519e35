package io.possync.sync;

/**
 * What the server knows of one registered terminal (POS config), for the status page.
 *
 * @param posId     the POS config's id
 * @param userId    the Odoo user of its last {@code sync_all}
 * @param messageId the last {@code message_ID} sent on its channel
 */
public record TerminalStatus(long posId, long userId, long messageId) {}
