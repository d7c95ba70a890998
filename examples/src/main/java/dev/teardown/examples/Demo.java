package dev.teardown.examples;

import java.util.List;

/**
 * {@code ./teardown demo [scenario]}: runs one teardown scenario with a netstat-style timeline and a verdict,
 * or lists them. Exit status 0 when the verdict is PASS, 1 when FAIL, 2 for a usage error, 3 when the scenario
 * cannot run here (the reason is printed).
 */
public final class Demo {
    private Demo() {}

    static final List<Scenario> SCENARIOS = List.of(new CloseWaitLeak(), new FinWait2Orphan(), new FinWait2HalfClose(),
            new TimeWait(), new Abort(), new UnreadDataRst(), new Linger(), new PortExhaustion(),
            new FourWayClose(), new FinWait1DeadPeer(),
            new FinTimeoutVsTimeWait(), new TwBucketsOverflow(), new Jdk413(), new Netty413(),
            new Jetty413(), new Tomcat413(), new Undertow413());

    /** Runs the scenario named by {@code args[0]}, or lists the scenarios. */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.out.println("usage: ./teardown demo <scenario>\n\nscenarios:");
            for (Scenario s : SCENARIOS) {
                System.out.printf("  %-25s %s%n", s.name(), s.summary());
            }
            return;
        }
        Scenario s = find(args[0]);
        if (s == null) {
            System.err.println("unknown scenario '" + args[0] + "'; ./teardown demo lists them");
            System.exit(2);
        }
        String why = s.unavailableReason();
        if (why != null) {
            System.out.println("== " + s.name() + ": " + s.summary());
            System.out.println("SKIPPED: " + why);
            System.exit(3);
        }
        System.exit(run(s).passed() ? 0 : 1);
    }

    static Scenario find(String name) {
        for (Scenario s : SCENARIOS) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** Runs one scenario, printing its timeline and verdict line. */
    static Verdict run(Scenario s) throws Exception {
        System.out.println("== " + s.name() + ": " + s.summary());
        Verdict v;
        try (Timeline t = new Timeline(System.out)) {
            v = s.run(t);
        }
        for (String p : v.passes()) {
            System.out.println("  ok   " + p);
        }
        for (String f : v.failures()) {
            System.out.println("  FAIL " + f);
        }
        if (Runs.usedDir(s.name()) != null) {
            System.out.println("files (captures, ladders as text and SVG): " + Runs.usedDir(s.name()));
        }
        System.out.println(v.line(s.summary()));
        return v;
    }
}
