package io.streamgate.loadtest;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand: opens a {@link LoadRun}, drives it, prints the Markdown report and writes the JSON. */
abstract class Scenario implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    /** The duration when {@code --duration} is not given. */
    Duration defaultDuration() {
        return Duration.ofSeconds(10);
    }

    /** Starts the clock ({@link LoadRun#start()}), generates the load and returns once nothing is in flight. */
    abstract void drive(LoadRun run) throws Exception;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Report report;
        try (LoadRun run = LoadRun.open(spec.name(), common, defaultDuration(), err)) {
            drive(run);
            report = run.finish();
        }
        out.println();
        out.print(report.toMarkdown());
        out.flush();
        if (common.json != null) {
            report.writeJson(common.json);
            err.println("JSON report: " + common.json);
            err.flush();
        }
        return 0;
    }

    static int positive(String option, int value) {
        if (value <= 0) {
            throw new UsageException(option + " must be positive, was " + value);
        }
        return value;
    }
}
