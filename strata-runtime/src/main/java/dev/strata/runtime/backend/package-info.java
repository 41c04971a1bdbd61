/**
 * The backend SPI: the engines the runtime serves models with, chosen per model format ({@link
 * dev.strata.runtime.backend.Backend}, {@link dev.strata.runtime.backend.Backends}).
 */
package dev.strata.runtime.backend;
