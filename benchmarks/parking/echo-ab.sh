#!/usr/bin/env bash
# Paired, alternating A/B echo rounds for issue 21 (carrier pollers): one warmed EchoServer JVM per variant (virtual
# threads, 2 carriers, IDLE idle connections parked in read), all started first and JIT-warmed, pinned to CPU 1; then
# every round runs the C echo-load (pinned to CPU 0) against each in turn, the order reversed every other round, in a
# private network namespace. Run it under
#   flock /tmp/teardown-bench.lock benchmarks/parking/echo-ab.sh ROUNDS CLIENTS IDLE VARIANT...
# VARIANT is name=impl[:jvm-flag,...], e.g. td=teardown jdk=jdk-socket jdk1=jdk-socket:-Djdk.pollerMode=1
#   tdp=teardown:-Ddev.teardown.poller=platform
# Prints one CSV line per run (round,clients,idle,variant,rtt_per_sec,load1) and, at the end, medians and paired
# ratios against the first variant. Env: JAVA (default Temurin 25), SIZE (message bytes, 64), WARMUP (per run, 0.5 s),
# DURATION (per run, 2 s), WARMUP_FIRST (each server's first, discarded run, 5 s).
# SYSCALLS=1: instead, count the server's system calls (perf stat, tracepoints) over the whole echo-load run (use WARMUP=0)
# and print them per round trip, by call, with the server's CPU time (cpu_us) and context switches per round trip.
set -euo pipefail
if [ -z "${TD_AB_INSIDE:-}" ]; then
    export TD_AB_INSIDE=1
    exec unshare -n "$0" "$@"
fi
ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096
ulimit -n 20000 2>/dev/null || true
here=$(cd "$(dirname "$0")/.." && pwd)
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=$here/target/benchmarks.jar
LOAD=$here/../native/target/bin/echo-load
PERF_EVENTS=task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_read,syscalls:sys_enter_sendto,syscalls:sys_enter_write,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_poll,syscalls:sys_enter_ppoll,syscalls:sys_enter_futex,syscalls:sys_enter_sched_yield
SIZE=${SIZE:-64}; WARMUP=${WARMUP:-0.5}; DURATION=${DURATION:-2}; WARMUP_FIRST=${WARMUP_FIRST:-5}
rounds=$1 clients=$2 idle=$3; shift 3
variants=("$@")
out=$(mktemp -d)
start() { # name impl flags: a server JVM pinned to CPU 1, kept until its stdin (fd 9+) closes
    local name=$1 impl=$2 flags=$3 fifo=$out/in.$1
    mkfifo "$fifo"
    # shellcheck disable=SC2086
    taskset -c 1 "$JAVA" -Xms1g -Xmx2g -XX:+UseParallelGC -Djdk.virtualThreadScheduler.parallelism=2 \
        --enable-native-access=ALL-UNNAMED ${flags//,/ } -cp "$JAR" dev.teardown.bench.EchoServer "$impl" virtual 4096 "$idle" \
        <"$fifo" >"$out/server.$name" 2>"$out/err.$name" &
    pids[$name]=$!
    eval "exec {fd}>\"$fifo\""
    fds[$name]=$fd
    for _ in $(seq 400); do grep -q LISTENING "$out/server.$name" 2>/dev/null && break; sleep 0.05; done
    ports[$name]=$(awk '/LISTENING/ {print $2}' "$out/server.$name")
}
load() { # name warmup duration -> the echo-load RESULT line
    taskset -c 0 "$LOAD" --port "${ports[$1]}" --clients "$clients" --size "$SIZE" --warmup "$2" --duration "$3" | grep RESULT || true
}
once() { # round name
    local line rate perfpid=""
    if [ -n "${SYSCALLS:-}" ]; then
        perf stat -x, -o "$out/perf.$2" -p "${pids[$2]}" -e "$PERF_EVENTS" & perfpid=$!
        sleep 0.5
    fi
    line=$(load "$2" "$WARMUP" "$DURATION")
    if [ -n "$perfpid" ]; then
        kill -INT "$perfpid"; wait "$perfpid" || true
        local rtts; rtts=$(sed -n 's/.* round_trips=\([0-9]*\).*/\1/p' <<<"$line")
        echo "syscalls per round trip, $2 ($rtts round trips):" >&2
        awk -F, -v n="$rtts" '$1 ~ /^[0-9.]+$/ && $1 > 0 {name = $3; v = $1 / n; if (name == "task-clock") {name = "cpu_us"; v = $1 * 1000 / n}
            sub(/.*sys_enter_?/, "", name); printf "    %-16s %7.2f\n", (name == "" ? "ALL" : name), v}' "$out/perf.$2" >&2
    fi
    rate=$(sed -n 's/.*rtt_per_sec=\([0-9.]*\).*/\1/p' <<<"$line")
    echo "$1,$clients,$idle,$2,${rate:-nan},$(cut -d' ' -f1 /proc/loadavg)"
}
declare -A pids fds ports
names=()
for v in "${variants[@]}"; do
    name=${v%%=*} rest=${v#*=}
    impl=${rest%%:*} flags=""
    [[ $rest == *:* ]] && flags=${rest#*:}
    start "$name" "$impl" "$flags"
    names+=("$name")
    load "$name" "$WARMUP_FIRST" 1 >/dev/null # JIT warm-up, discarded
done
{
echo "round,clients,idle,variant,rtt_per_sec,load1"
for ((r = 1; r <= rounds; r++)); do
    order=("${names[@]}")
    if ((r % 2 == 0)); then
        order=(); for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[i]}"); done
    fi
    for n in "${order[@]}"; do
        once "$r" "$n"
    done
done
} | tee "$out/runs.csv"
for n in "${names[@]}"; do eval "exec ${fds[$n]}>&-"; done
wait
python3 - "$out/runs.csv" "${variants[0]%%=*}" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ref = sys.argv[2]
names = list(dict.fromkeys(r['variant'] for r in rows))
rate = {(r['round'], r['variant']): float(r['rtt_per_sec']) for r in rows}
rounds = sorted({r['round'] for r in rows}, key=int)
for n in names:
    rs = [rate[(k, n)] for k in rounds if (k, n) in rate]
    line = f"{n:10s} median {statistics.median(rs):9.0f} rt/s"
    if n != ref:
        pr = [rate[(k, ref)] / rate[(k, n)] for k in rounds if (k, n) in rate and (k, ref) in rate and rate[(k, n)] > 0]
        line += f"   {ref}/{n} paired median {statistics.median(pr):.3f}  per round " + ", ".join(f"{x:.2f}" for x in pr)
    print(line)
PY
rm -rf "$out"
