/**
 * teardown: explicit TCP connection teardown. Exports only the API packages: the core ({@code dev.teardown}), the
 * kernel views ({@code inspect}), child processes ({@code spawn}), the JUnit extension ({@code junit}) and close
 * modes for JDK sockets ({@code jdk}). The
 * binding ({@code posix}) and the internal hooks stay inside. Compiled for Java 17 at the jar's root (a
 * multi-release jar's versioned classes add no packages), so JDK 17 loads it on the module path; on the class path
 * it is ignored.
 *
 * <p>Native access: FFM (JDK 22+) needs {@code --enable-native-access=dev.teardown}; JNA, {@code com.sun.jna}.
 */
module dev.teardown {
    requires com.sun.jna;
    requires static jdk.jfr;
    requires static org.junit.jupiter.api;

    exports dev.teardown;
    exports dev.teardown.inspect;
    exports dev.teardown.spawn;
    exports dev.teardown.junit;
    exports dev.teardown.jdk;

    // JNA's direct mapping registers the binding's native methods by reflection.
    opens dev.teardown.posix to com.sun.jna;

    uses dev.teardown.internal.CloseObserver;
    provides dev.teardown.internal.CloseObserver with dev.teardown.inspect.hooks.InspectCloseObserver;
    uses dev.teardown.internal.ListenerObserver;
    provides dev.teardown.internal.ListenerObserver with dev.teardown.inspect.hooks.InspectListenerObserver;
}
