package dev.teardown.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The executable jar's entry point: {@code java -jar teardown-cli.jar doctor [options]}. Output is UTF-8
 * whatever the locale; a wrong command or option prints the usage to stderr and exits 2.
 */
@Command(name = "teardown", mixinStandardHelpOptions = true, version = "teardown 0.1.0",
        description = "teardown's command line. Commands: doctor.", subcommands = CommandLine.HelpCommand.class)
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    static {
        // Linked now, not only loaded: a JDK 25 AOT cache leaves out a class that its training run loaded but never
        // linked, and with these two every picocli class that refers to them (the build's training run throws none).
        for (Class<?> c : new Class<?>[] {ParameterException.class, CommandLine.PicocliException.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Main() {}

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        // The native binding takes 150-300 ms to start (JNA loading its library, or FFM linking its downcalls), and so
        // does picocli building its model from the annotations: on a second core, the binding starts meanwhile.
        Thread warmUp = new Thread(Main::startBinding, "teardown-binding-start");
        warmUp.setDaemon(true);
        warmUp.start();
        if (readsOnce(args)) {
            OwnerScan.startEarly(); // the /proc pass, the reading's largest part, starts meanwhile too
        }
        System.exit(run(args, new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err)));
    }

    /** A doctor that reads the table at once: not --help, --version, --pid (the agent's report) or --serve. */
    static boolean readsOnce(String[] args) {
        if (args.length == 0 || !args[0].equals("doctor")) {
            return false;
        }
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h") || a.equals("--version") || a.equals("-V") || a.startsWith("--pid")
                    || a.startsWith("--serve")) {
                return false;
            }
        }
        return true;
    }

    private static void startBinding() {
        try {
            // a dump the kernel filters down to (usually) nothing: the binding, the netlink path and their classes
            dev.teardown.inspect.TcpTable.counts(java.util.EnumSet.of(dev.teardown.TcpState.CLOSING), 0);
        } catch (Throwable e) {
            // the first real use reports it, with its message, on the main thread
        }
    }

    /** Runs the command line with {@code out} and {@code err}; returns the exit status. */
    static int run(String[] args, OutputStream out, OutputStream err) {
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        int status = commandLine(o, e).execute(args);
        o.flush();
        e.flush();
        return status;
    }

    /** The command line with its subcommands, writing to {@code o} and {@code e}. */
    static CommandLine commandLine(PrintWriter o, PrintWriter e) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("doctor", new Doctor(o));
        return cl.setOut(o).setErr(e).setExecutionExceptionHandler(Doctor.failure());
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: doctor");
    }
}
