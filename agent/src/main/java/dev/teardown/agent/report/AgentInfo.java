package dev.teardown.agent.report;

import java.util.Map;
import java.util.Set;

/**
 * What the agent in the reported JVM says about itself.
 *
 * @param how {@code premain} (loaded with {@code -javaagent:}) or {@code attach}
 * @param startedMillis when it started recording, ms since the epoch
 * @param recorded sockets recorded since then
 * @param notTaken sockets recorded without a stack, over the budget
 * @param stacksPerSecond the budget of stacks per second ({@link Integer#MAX_VALUE}: all)
 * @param failures records dropped because the recorder failed
 * @param instrumented classes carrying the advice
 * @param skipped classes it could not instrument, with the reason
 */
public record AgentInfo(String how, long startedMillis, long recorded, long notTaken, int stacksPerSecond,
        long failures, Set<String> instrumented, Map<String, String> skipped) {}
