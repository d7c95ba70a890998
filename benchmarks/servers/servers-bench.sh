#!/usr/bin/env bash
# Keep-alive GET requests/s through Jetty, Tomcat and Undertow without and with teardown's integration
# (ServersKeepAlive.java: one JVM runs both servers, pinned to CPU 1; wrk pinned to CPU 0; alternating windows, the
# order swapped every pair). Runs under flock /tmp/teardown-bench.lock (one benchmark at a time on this machine) and
# prints `uptime` before and after each server. Needs wrk (apt-get install wrk), taskset and the demo jar:
#   mvn -B -q -DskipTests package -pl examples -am
# Usage: benchmarks/servers/servers-bench.sh [PAIRS] [SECONDS] [SERVERS...]   (default 8, 5, jetty tomcat undertow;
# $TEARDOWN_SERVERS_JAR names another copy of the demo jar, e.g. one that a build running meanwhile cannot rewrite)
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=${TEARDOWN_SERVERS_JAR:-$PWD/examples/target/teardown-examples.jar}
[ -f "$jar" ] || { echo "servers-bench: $jar is missing; run: mvn -B -q -DskipTests package -pl examples -am" >&2; exit 2; }
command -v wrk >/dev/null || { echo "servers-bench: wrk not found (apt-get install wrk)" >&2; exit 2; }
pairs=${1:-8}
seconds=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(jetty tomcat undertow)
for s in "${servers[@]}"; do
    echo "== $s: load before: $(uptime)"
    flock /tmp/teardown-bench.lock taskset -c 1 java -Xms256m -Xmx256m -cp "$jar" benchmarks/servers/ServersKeepAlive.java \
        "$s" "$pairs" "$seconds" 16 0 2>&1 | grep -v -E '^(SLF4J|INFO|[A-Z][a-z]{2} [0-9]{2}, )'
    echo "== $s: load after: $(uptime)"
done
