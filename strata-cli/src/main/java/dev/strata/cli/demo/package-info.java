/**
 * {@code strata demo}: a cloud and two edge agents in one process on loopback, the reference models
 * registered and deployed with a calibrated cascade, the shipped test images measured down three
 * paths (edge alone, cloud alone, cascade). {@link dev.strata.cli.demo.DemoRunner} is the entry
 * point of the command; {@code Demo} runs the steps, each in a small class of its own.
 */
package dev.strata.cli.demo;
