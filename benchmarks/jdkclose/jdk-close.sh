#!/usr/bin/env bash
# JdkSockets.close against the JDK's own close, per mode, pinned and alternating: the connecting JVM on CPU 0, the C
# listener (native/accept-close-listener --mode wait-for-client) on CPU 1, in a fresh network namespace with the
# settings of ./teardown bench; once without --add-opens (what users run) and once with it.
# Needs root, benchmarks/target/benchmarks.jar and native/target/bin: mvn -B -q -DskipTests package -pl benchmarks -am
# Usage: benchmarks/jdkclose/jdk-close.sh [JAVA_HOME] [WARMUP MEASURED WINDOW [modes]]   (default: the JDK on PATH,
# 20000 20000 500, every mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
java=${1:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}/bin/java
shift || true
args=("$@")
[ $# -eq 0 ] && args=(20000 20000 500)
jar=$PWD/benchmarks/target/benchmarks.jar
bin=$PWD/native/target/bin
for f in "$jar" "$bin/accept-close-listener"; do
    [ -e "$f" ] || { echo "jdk-close: $f is missing; run: mvn -B -q -DskipTests package -pl benchmarks -am" >&2; exit 2; }
done
nat=; "$java" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1 && nat=--enable-native-access=ALL-UNNAMED
pin0=; pin1=
if [ "$(nproc)" -ge 2 ]; then pin0="taskset -c 0"; pin1="taskset -c 1"; fi
for opens in "" "--add-opens java.base/sun.nio.ch=ALL-UNNAMED"; do
    unshare -n bash -c 'ip link set lo up &&
        sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_tw_reuse_delay=1000 &&
        tmp=$(mktemp) && { $2 "$1"/accept-close-listener --mode wait-for-client --address 127.0.0.1 >"$tmp" & l=$!; } &&
        until grep -q LISTENING "$tmp" 2>/dev/null; do sleep 0.1; done &&
        port=$(awk "/LISTENING/ {print \$3}" "$tmp") &&
        $3 "$4" $5 $8 -Xms1g -Xmx1g -cp "$6" "$7" "$port" ${@:9}; rc=$?;
        kill $l; rm -f "$tmp"; exit $rc' jdk-close "$bin" "$pin1" "$pin0" "$java" "$opens" "$jar" \
        "$PWD/benchmarks/jdkclose/JdkCloseAlternating.java" "$nat" "${args[@]}"
done
