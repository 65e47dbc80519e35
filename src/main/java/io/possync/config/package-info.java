/** Typed settings from {@code conf/possync.properties}, environment overrides and flags. */
package io.possync.config;
