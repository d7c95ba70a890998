#!/usr/bin/env bash
# The agent's cost per connection: JMH's ChannelChurn (JDK SocketChannel connect + close, client first, no exchange,
# one thread, against native/accept-close-listener) with and without -javaagent:teardown-agent.jar, in paired rounds
# (the order alternates) inside a private network namespace with the settings of ./teardown bench. Prints each run
# and the medians. Needs root (unshare -n), benchmarks/target/benchmarks.jar, native/target/bin and the agent jar:
#   mvn -B -q -DskipTests package -pl benchmarks,agent -am
# Usage: benchmarks/agent/agent-churn.sh [ROUNDS]   (default 6)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-6}
if [ "${TEARDOWN_AGENT_NETNS:-}" != 1 ]; then
    exec env TEARDOWN_AGENT_NETNS=1 unshare -n "$0" "$@"
fi
ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_tw_reuse_delay=1000 \
    net.ipv4.tcp_timestamps=1
jar=benchmarks/target/benchmarks.jar
agent=$PWD/agent/target/teardown-agent.jar
bin=$PWD/native/target/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one JMH fork: 3 x 1 s warm-up, 5 x 1 s measured; prints connections/s (JMH's score)
run() {
    local extra=$1
    java -Dteardown.native.bin="$bin" -jar "$jar" jmh 'ChannelChurn.cycle' -p variant=client-first -p exchange=false \
        -f 1 -wi 3 -w 1s -i 5 -r 1s -jvmArgsAppend "-Dteardown.native.bin=$bin $extra" \
        -rf csv -rff "$tmp/r.csv" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
    awk -F, 'NR==2 {gsub(/"/,"",$5); printf "%.0f\n", $5}' "$tmp/r.csv"
}

echo "round  without(conn/s)  with-agent(conn/s)  ratio   load"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then
        a=$(run ""); b=$(run "-javaagent:$agent")
    else
        b=$(run "-javaagent:$agent"); a=$(run "")
    fi
    printf "%5d  %15s  %18s  %5.3f   %s\n" "$r" "$a" "$b" "$(echo "$b / $a" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$a $b" >>"$tmp/pairs"
done
awk '{ w[NR]=$1; g[NR]=$2; q[NR]=$2/$1 }
     function med(a, n,   i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]<a[i]) { t=a[i]; a[i]=a[j]; a[j]=t }
                                   return n%2 ? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2 }
     END { n=NR; mw=med(w,n); mg=med(g,n); mq=med(q,n)
           printf "median: without %.0f conn/s, with agent %.0f conn/s; paired ratio (median of rounds) %.3f\n", mw, mg, mq
           printf "cost per connection (from the medians): %.2f us\n", (1e6/mg - 1e6/mw) }' "$tmp/pairs"
