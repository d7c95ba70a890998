package dev.teardown.agent;

import dev.teardown.agent.testing.MiniJson;

import java.util.List;
import java.util.Map;

/** Reads the report's JSON in the tests. */
final class Reports {
    private Reports() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String json) {
        return (Map<String, Object>) MiniJson.parse(json);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> groups(Map<String, Object> report) {
        return (List<Map<String, Object>>) report.get("groups");
    }

    /** The group whose innermost kept frame is {@code frame}, or null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> groupOpenedAt(Map<String, Object> report, String frame) {
        for (Map<String, Object> g : groups(report)) {
            List<String> site = (List<String>) g.get("site");
            if (site != null && !site.isEmpty() && site.get(0).equals(frame)) {
                return g;
            }
        }
        return null;
    }

    /** The group of sockets without a site, or null. */
    static Map<String, Object> groupWithoutSite(Map<String, Object> report) {
        return groups(report).stream().filter(g -> g.get("site") == null).findFirst().orElse(null);
    }

    static long count(Map<String, Object> group) {
        return group == null ? 0 : (Long) group.get("count");
    }
}
