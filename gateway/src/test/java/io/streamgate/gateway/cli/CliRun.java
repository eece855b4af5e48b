package io.streamgate.gateway.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/** Runs a command line in-process through {@link Main#execute}, with its standard streams captured. */
record CliRun(int code, String out, String err) {
    static CliRun run(String... args) {
        return withInput(null, args);
    }

    /** As {@link #run}, with {@code stdin} (null: none) as the command's standard input. */
    static CliRun withInput(String stdin, String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        InputStream savedIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
            code = Main.execute(args);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
            System.setIn(savedIn);
        }
        // in-process the servers' loggers are not quieted as in the jar: keep the command's own lines
        String errors = err.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.matches("^\\d.*"))
                .map(l -> l + "\n").collect(Collectors.joining());
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), errors);
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err;
    }
}
