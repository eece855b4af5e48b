/**
 * The demo, a module of its own so the product carries no demo code: {@link
 * io.streamgate.demo.Demo} starts a gateway with a generated key in front of the live origin
 * ({@code io.streamgate.origin.DemoOrigin}, module {@code origin}) and serves a player page
 * ({@link io.streamgate.demo.PlayerHandler}) that renews its token. {@link
 * io.streamgate.demo.DemoCommands} adds the {@code demo} and {@code origin} commands to the
 * {@code streamgate} command line. This module also assembles the runnable
 * {@code gateway/target/streamgate.jar}.
 */
package io.streamgate.demo;
