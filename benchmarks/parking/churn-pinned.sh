#!/usr/bin/env bash
# Churn with the 1-byte exchange, teardown (JDK 17, JNA: ChurnLoop.java) against C's churn, pinned: the client on CPU
# 0, the C listener (accept-close-listener --mode wait-for-client, one thread) on CPU 1, each run in a fresh private
# network namespace, 40,000 connections after 40,000 discarded, the order reversed every other round:
#   benchmarks/parking/churn-pinned.sh ROUNDS OUT.csv abort|release VARIANT...
# VARIANT: c, or td[:jvm-flags] (e.g. td:-Ddev.teardown.foreignHolderCheck=false). Each run takes the benchmark lock.
# Needs the java module compiled (java/target/classes) and JNA in ~/.m2. Env: JAVA (default: java on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
JAVA=${JAVA:-java}
bin=$here/../native/target/bin
CP=$here/../java/target/classes:$(ls ~/.m2/repository/net/java/dev/jna/jna/5.18.1/jna-5.18.1.jar)
rounds=$1 out=$2 mode=$3; shift 3
variants=("$@")
[ -f "$out" ] || echo "utc,round,variant,mode,load1,conns_per_s" > "$out"
inns() { # command line, run with $PORT of a fresh listener
    flock /tmp/teardown-bench.lock unshare -n -- bash -c '
        ip link set lo up
        sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096
        coproc L { exec taskset -c 1 '"$bin"'/accept-close-listener --mode wait-for-client --threads 1; }
        read -r _ _ PORT <&"${L[0]}"; export PORT
        eval "$1"
        kill $L_PID; wait $L_PID 2>/dev/null; true' _ "$1"
}
cv=$([ "$mode" = abort ] && echo abort || echo client-first)
nv=${#variants[@]}
for ((r = 1; r <= rounds; r++)); do
    for ((k = 0; k < nv; k++)); do
        if ((r % 2)); then v=${variants[$k]}; else v=${variants[$((nv - 1 - k))]}; fi
        load=$(cut -d' ' -f1 /proc/loadavg)
        if [ "$v" = c ]; then
            x=$(inns "taskset -c 0 $bin/churn -p \$PORT -v $cv -x -n 40000 >/dev/null; taskset -c 0 $bin/churn -p \$PORT -v $cv -x -n 40000" \
                | grep -o "conns_per_sec=[0-9.]*" | head -1 | cut -d= -f2)
        else
            flags=${v#td}; flags=${flags#:}
            x=$(inns "taskset -c 0 $JAVA -Xms256m -Xmx256m $flags -cp $CP $here/parking/ChurnLoop.java \$PORT 40000 $mode 40000" \
                | grep -o "s: [0-9]*/s" | grep -o "[0-9]*")
        fi
        echo "$(date -u +%H:%M:%S),$r,$v,$mode,$load,$x" | tee -a "$out"
    done
done
