#!/usr/bin/env bash
# Closing N parked connections one by one, alternating: one ScaleServer JVM per run (JDK 25, 2 carriers, N idle
# connections each read by a parked virtual thread; the main thread closes them one by one), every run in a fresh
# private network namespace, the order of the variants reversed every other round. Each run takes the benchmark lock
# itself:
#   benchmarks/parking/close-all-ab.sh ROUNDS OUT.csv VARIANT...
# VARIANT is name=impl[@jar], impl teardown or jdk-socket, jar another build's benchmarks.jar (default this tree's),
#   e.g. new=teardown jdk=jdk-socket old=teardown@/tmp/old/benchmarks/target/benchmarks.jar
# Env: N (10000), JAVA (Temurin 25), FLAGS (extra JVM flags). Appends one CSV line per run and prints the paired ratios
# of close_all_s against the last variant (median, range).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
N=${N:-10000}
rounds=$1 out=$2; shift 2
variants=("$@")
[ -f "$out" ] || echo "utc,round,variant,impl,load1,close_calls_s,close_all_s,close_cpu_s,heap_per_conn_b,fds_per_conn,spawn_us_max" > "$out"
one() { # impl jar
    flock /tmp/teardown-bench.lock unshare -n -- bash -c '
        ip link set lo up
        sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096
        exec "$@"' _ "$JAVA" -Xms1g -Xmx2g -Djdk.virtualThreadScheduler.parallelism=2 --enable-native-access=ALL-UNNAMED \
        ${FLAGS:-} -cp "$2" dev.teardown.bench.ScaleServer "$1" "$N" 127.0.0.1 "$here/../native/target/bin/echo-load" 2>/dev/null
}
nv=${#variants[@]}
for ((r = 1; r <= rounds; r++)); do
    for ((k = 0; k < nv; k++)); do
        if ((r % 2)); then v=${variants[$k]}; else v=${variants[$((nv - 1 - k))]}; fi
        name=${v%%=*} spec=${v#*=}
        impl=${spec%%@*} jar=$here/target/benchmarks.jar
        [[ $spec == *@* ]] && jar=${spec#*@}
        load=$(cut -d' ' -f1 /proc/loadavg)
        res=$(one "$impl" "$jar")
        g() { echo "$res" | grep -o " $1=[^ ]*" | cut -d= -f2 || true; }
        echo "$(date -u +%H:%M:%S),$r,$name,$impl,$load,$(g close_calls_s),$(g close_all_s),$(g close_cpu_s),$(g heap_per_conn_b),$(g fds_per_conn),$(g spawn_us_max)" | tee -a "$out"
    done
done
python3 - "$out" "${variants[@]}" <<'PY'
import csv, sys, statistics, collections
out, names = sys.argv[1], [v.split('=')[0] for v in sys.argv[2:]]
by = collections.defaultdict(dict)
for r in csv.DictReader(open(out)):
    if r['close_all_s']:
        by[r['round']][r['variant']] = float(r['close_all_s'])
ref = names[-1]
for n in names[:-1]:
    rs = sorted(v[n] / v[ref] for v in by.values() if n in v and ref in v)
    if rs:
        print('%s/%s close_all_s: median %.3f over %d rounds, range %.2f-%.2f' % (n, ref, statistics.median(rs), len(rs), rs[0], rs[-1]))
PY
