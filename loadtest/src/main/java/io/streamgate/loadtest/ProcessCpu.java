package io.streamgate.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time (user + system) a local process has used, read from Linux's
 * {@code /proc/PID/stat} (fields 14 and 15, in clock ticks of 1/100 s: Linux's {@code USER_HZ}
 * on every mainstream architecture). It counts every thread the process ever ran, exited ones
 * included. On a shared machine this is what separates the gateway's own cost per request
 * from the load generator's and the origin's: {@code --cpu-of gateway=PID}.
 */
record ProcessCpu(String name, long pid) {
    static final double TICKS_PER_SECOND = 100.0;

    /** {@code NAME=PID} as given to {@code --cpu-of}. */
    static ProcessCpu parse(String spec) {
        int eq = spec.indexOf('=');
        String name = eq > 0 ? spec.substring(0, eq) : null;
        String pid = eq > 0 ? spec.substring(eq + 1) : spec;
        long p;
        try {
            p = Long.parseLong(pid.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--cpu-of: expected NAME=PID, was \"" + spec + "\"");
        }
        ProcessCpu cpu = new ProcessCpu(name == null ? "pid " + p : name, p);
        if (cpu.seconds() < 0) {
            throw new UsageException("--cpu-of: cannot read the CPU time of process " + p
                    + " (no /proc/" + p + "/stat: not running, or not Linux)");
        }
        return cpu;
    }

    /** The load generator itself. */
    static ProcessCpu self() {
        return new ProcessCpu("loadtest (this process)", ProcessHandle.current().pid());
    }

    /** CPU seconds used so far, or -1 when it cannot be read. */
    double seconds() {
        try {
            return parseStat(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime of a {@code /proc/PID/stat} line, in seconds. The command name (field 2)
     * is in parentheses and may itself hold spaces and parentheses, so fields are counted
     * from the last {@code ')'}.
     */
    static double parseStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc stat line");
        }
        String[] f = stat.substring(close + 2).trim().split(" +");
        // f[0] is field 3 (state): utime is field 14, stime field 15
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks / TICKS_PER_SECOND;
    }
}
