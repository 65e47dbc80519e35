package io.possync.odoo;

/**
 * A {@code pos.order} found by its {@code pos_reference}.
 *
 * @param sessionId   id of its {@code pos.session}, or null if Odoo sent none
 * @param sessionName display name of that session (a rescue session's name says so)
 * @param amountTotal its total, or null if Odoo sent none
 */
public record FoundOrder(int id, String posReference, String state, Integer sessionId,
    String sessionName, Double amountTotal) {}
