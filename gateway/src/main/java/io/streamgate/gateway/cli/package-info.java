/**
 * The {@code streamgate} command line (picocli): {@link io.streamgate.gateway.cli.Main} and one
 * class per subcommand ({@code run}, {@code check-config}, {@code keygen}, {@code mint},
 * {@code verify}, {@code revoke}, …). The demo module adds {@code demo} and {@code origin}
 * through {@link io.streamgate.gateway.cli.Main.Subcommands}. Exit codes: 0 ok, 1 failure,
 * 2 usage or config error.
 */
package io.streamgate.gateway.cli;
