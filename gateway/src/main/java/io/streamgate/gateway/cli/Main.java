package io.streamgate.gateway.cli;

import java.util.List;
import java.util.ServiceLoader;

import io.streamgate.filters.core.ConfigException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar streamgate.jar <command>}. Exit codes: 0 success, 2 usage or
 * configuration error, 1 runtime failure ({@code verify} also exits 1 for a denied token).
 */
@Command(name = "streamgate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "JWT gateway for live-streaming origins (WebSocket and HLS).",
        subcommands = {RunCommand.class, KeygenCommand.class, KeysCommand.class, MintCommand.class,
                VerifyCommand.class, CheckConfigCommand.class, RevokeCommand.class, RevocationsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int RUNTIME_FAILURE = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * One-shot tools print their result only: until a server command configures logging from
     * its config ({@code io.streamgate.gateway.logging.Logging}), the classpath's
     * {@code logback.xml} writes warnings and errors only, to standard error.
     */
    public static void main(String[] args) {
        int code = execute(args);
        io.streamgate.gateway.logging.Logging.stop(); // flushes lines still queued
        System.exit(code);
    }

    /** Runs a command line and returns its exit code (used by tests, never calls System.exit). */
    public static int execute(String... args) {
        return commandLine(CommandLine.defaultFactory()).execute(args);
    }

    /**
     * The command line with its error handling; {@code factory} makes the command objects
     * (tests pass one that hands out instances they hold, e.g. to stop a running gateway).
     */
    public static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(new Main(), factory);
        for (Subcommands more : ServiceLoader.load(Subcommands.class, Main.class.getClassLoader())) {
            for (Class<?> c : more.commands()) {
                try {
                    cl.addSubcommand(factory.create(c));
                } catch (Exception e) {
                    throw new IllegalStateException("command " + c.getName() + ": " + e, e);
                }
            }
        }
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException ce) {
                ce.problems().forEach(cmd.getErr()::println);
                return USAGE;
            }
            cmd.getErr().println("error: " + e.getMessage());
            return RUNTIME_FAILURE;
        });
        return cl;
    }

    /**
     * Commands another module adds to this command line, found with {@link ServiceLoader}: the
     * demo module's {@code demo} and {@code origin} (the product itself carries no demo code).
     */
    public interface Subcommands {
        List<Class<?>> commands();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The build's version: {@code version.properties}, filtered by Maven at build time (so it is
     * right in the jar and in the IDE alike), else the jar manifest's Implementation-Version.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"streamgate " + version()};
        }

        static String version() {
            try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    java.util.Properties p = new java.util.Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.isBlank() && !v.startsWith("${")) {
                        return v.strip();
                    }
                }
            } catch (java.io.IOException e) {
                // fall back to the manifest
            }
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "unknown (not built by Maven)" : v;
        }
    }
}
