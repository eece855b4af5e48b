package io.streamgate.demo;

import java.util.List;

import io.streamgate.gateway.cli.Main;

/** Adds {@code demo} and {@code origin} to the {@code streamgate} command line when this module is on the class path. */
public final class DemoCommands implements Main.Subcommands {
    @Override
    public List<Class<?>> commands() {
        return List.of(DemoCommand.class, OriginCommand.class);
    }
}
