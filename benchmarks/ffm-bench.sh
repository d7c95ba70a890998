#!/usr/bin/env bash
# Issue 11's measurements (see FFM-RESULTS.md): per-call JNA vs FFM (JMH), the close path and ABORT churn for
# teardown (full outcome and closeFast), the floor (the same system calls through the binding, none of teardown's
# code), JDK SocketChannel and C, on JDK 17 (JNA) and JDK 25 (JNA and FFM), in interleaved rounds.
# usage (as root, after ./teardown test or a package build): flock /work/bench.lock benchmarks/ffm-bench.sh OUT [ROUNDS]
# BASE_JAR=<benchmarks.jar built from main> adds teardown before this branch on JDK 17 (TeardownClose, TeardownChurn).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${FFM_BENCH_NS:-}" != 1 ]; then
    exec env FFM_BENCH_NS=1 unshare -n "$0" "$@"
fi
OUT=$1; ROUNDS=${2:-2}
mkdir -p "$OUT"
ip link set lo up
for s in "net.ipv4.ip_local_port_range=1024 65535" net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_tw_reuse_delay=1000 \
         net.ipv4.tcp_timestamps=1; do sysctl -qw "$s"; done
J17=${J17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
J25=${J25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=benchmarks/target/benchmarks.jar
native/target/bin/accept-close-listener -m wait-for-client -a 127.0.0.1 -p 0 -t 2 > "$OUT/listener.txt" &
LPID=$!
trap 'kill $LPID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q LISTENING "$OUT/listener.txt" && break; sleep 0.1; done
PORT=$(awk '/LISTENING/{print $NF}' "$OUT/listener.txt")
echo "listener on $PORT; load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/run.txt"

# cfg: name java binding
CFGS=("17-jna $J17 jna" "25-jna $J25 jna" "25-ffm $J25 ffm")
JAR_USED=$JAR
jmh() { # cfg-name java binding outfile jmh-args...
    local name=$1 java=$2 binding=$3 out=$4; shift 4
    local jar=$JAR
    [ "$name" = 17-base ] && jar=$BASE_JAR
    local extra="-Xms1g -Xmx1g -Ddev.teardown.binding=$binding -Dteardown.bench.port.wait-for-client=$PORT"
    case $name in 25-*) extra="$extra --enable-native-access=ALL-UNNAMED" ;; esac
    "$java" $(case $name in 25-*) echo --enable-native-access=ALL-UNNAMED ;; esac) -Ddev.teardown.binding=$binding \
        -jar "$jar" jmh -f 1 -jvmArgsAppend "$extra" -rf json -rff "$out" "$@" > "$out.log" 2>&1
}

for cfg in "${CFGS[@]}"; do
    set -- $cfg
    echo "percall $1 $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/run.txt"
    jmh "$1" "$2" "$3" "$OUT/percall-$1.json" 'BindingCall' -wi 3 -w 1s -i 3 -r 1s
done

for r in $(seq "$ROUNDS"); do
    for cfg in "${CFGS[@]}"; do
        set -- $cfg
        echo "round $r close $1 $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/run.txt"
        jmh "$1" "$2" "$3" "$OUT/close-$r-$1.json" \
            '(TeardownClose|TeardownFastClose|FloorClose|FloorFastClose)\.close' \
            -p mode=client-first,shutdown,abort -wi 2 -w 500ms -i 2 -r 1s
        echo "round $r churn $1 $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/run.txt"
        jmh "$1" "$2" "$3" "$OUT/churn-$r-$1.json" '(TeardownChurn|TeardownFastChurn|FloorChurn|ChannelChurn)\.cycle' \
            -p variant=abort -p exchange=false -wi 2 -w 500ms -i 2 -r 1s
    done
    if [ -n "${BASE_JAR:-}" ]; then # teardown before this branch (main at 777feac), JDK 17
        echo "round $r base $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/run.txt"
        jmh 17-base "$J17" jna "$OUT/close-$r-17-base.json" 'TeardownClose\.close' \
            -p mode=client-first,shutdown,abort -wi 2 -w 500ms -i 2 -r 1s
        jmh 17-base "$J17" jna "$OUT/churn-$r-17-base.json" 'TeardownChurn\.cycle' \
            -p variant=abort -p exchange=false -wi 2 -w 500ms -i 2 -r 1s
    fi
    for m in client-first shutdown abort; do
        benchmarks/target/bin/close-path -p "$PORT" -m "$m" -d 2 >> "$OUT/c-close-$r.txt"
    done
    native/target/bin/churn -p "$PORT" -v abort -d 0.5 > /dev/null
    native/target/bin/churn -p "$PORT" -v abort -d 2 >> "$OUT/c-churn-$r.txt"
done
echo "done $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/run.txt"
