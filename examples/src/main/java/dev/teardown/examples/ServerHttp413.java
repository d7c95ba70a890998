package dev.teardown.examples;

import dev.teardown.CloseOutcome;

/**
 * {@link Http413} for a server framework with teardown's one-line integration (teardown-jetty, -tomcat, -undertow):
 * the plain server against the same server with the integration. The plain close's harm is shown by the capture
 * (an RST from the server with the upload unread); whether curl also loses the response's tail depends on timing.
 */
abstract class ServerHttp413 extends Http413 {
    @Override
    boolean plainShown(int lost, int plainRsts) {
        return lost > 0 || plainRsts > 0;
    }

    @Override
    void checkPlain(Verdict v, int lost, int plainTries, int plainRsts, boolean capture) {
        if (capture) {
            v.check(plainRsts >= 1, "tcpdump: the plain server sent RST", plainRsts + " RSTs in " + plainTries
                    + " tries, " + lost + " responses cut short");
        } else {
            super.checkPlain(v, lost, plainTries, plainRsts, false);
        }
    }

    static String describe(CloseOutcome o) {
        return "teardown's graceful close -> " + o.sent() + ": " + o.detail();
    }
}
