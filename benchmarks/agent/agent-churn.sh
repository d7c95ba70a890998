#!/usr/bin/env bash
# The agent's cost per connection: JMH's ChannelChurn (JDK SocketChannel connect + close, client first, no exchange,
# one thread, against native/accept-close-listener) without the agent, with -javaagent:teardown-agent.jar (its
# default budget of 1000 stacks per second) and with -javaagent:teardown-agent.jar=stacks=all (a stack for every
# socket), in paired rounds (the order rotates) inside a private network namespace with the settings of
# ./teardown bench. Prints each run and the medians. `cpu` instead of ROUNDS: the connecting thread's CPU time per
# connection (ChurnCpu.java, 3 rounds), which a busy machine disturbs far less than throughput.
# Needs root (unshare -n), benchmarks/target/benchmarks.jar, native/target/bin and the agent jar:
#   mvn -B -q -DskipTests package -pl benchmarks,agent -am
# Usage: benchmarks/agent/agent-churn.sh [ROUNDS|cpu]   (default 6; $TEARDOWN_AGENT_JAR names another agent jar)
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
agent=${TEARDOWN_AGENT_JAR:-$PWD/agent/target/teardown-agent.jar}
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

if [ "$rounds" = cpu ]; then
    "$bin/accept-close-listener" --mode wait-for-client >"$tmp/listener" &
    listener=$!
    trap 'kill $listener; rm -rf "$tmp"' EXIT
    until grep -q '[0-9]' "$tmp/listener"; do sleep 0.1; done
    port=$(grep -o '[0-9]\+' "$tmp/listener" | tail -1)
    echo "round  without  agent  agent,stacks=all  (CPU ns per connection, median of 12 windows)  load"
    for r in 1 2 3; do
        a=$(java benchmarks/agent/ChurnCpu.java "$port" x | cut -d' ' -f2)
        b=$(java "-javaagent:$agent" benchmarks/agent/ChurnCpu.java "$port" x 2>/dev/null | cut -d' ' -f2)
        c=$(java "-javaagent:$agent=stacks=all" benchmarks/agent/ChurnCpu.java "$port" x 2>/dev/null | cut -d' ' -f2)
        printf "%5d  %7s  %5s  %16s  %s\n" "$r" "$a" "$b" "$c" "$(cut -d' ' -f1-3 /proc/loadavg)"
    done
    exit 0
fi

echo "round  without  agent  agent,stacks=all  (conn/s)  ratio  ratio(all)  load"
for r in $(seq "$rounds"); do
    case $((r % 3)) in
        1) a=$(run ""); b=$(run "-javaagent:$agent"); c=$(run "-javaagent:$agent=stacks=all") ;;
        2) b=$(run "-javaagent:$agent"); c=$(run "-javaagent:$agent=stacks=all"); a=$(run "") ;;
        0) c=$(run "-javaagent:$agent=stacks=all"); a=$(run ""); b=$(run "-javaagent:$agent") ;;
    esac
    printf "%5d  %7s  %5s  %16s            %5.3f  %10.3f  %s\n" "$r" "$a" "$b" "$c" "$(echo "$b / $a" | bc -l)" \
        "$(echo "$c / $a" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$a $b $c" >>"$tmp/runs"
done
awk 'function med(a, n,   i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]<a[i]) { t=a[i]; a[i]=a[j]; a[j]=t }
                                   return n%2 ? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2 }
     { w[NR]=$1; g[NR]=$2; x[NR]=$3; q[NR]=$2/$1; qa[NR]=$3/$1 }
     END { n=NR; mw=med(w,n); mg=med(g,n); mx=med(x,n); mq=med(q,n); mqa=med(qa,n)
           printf "median conn/s: without %.0f, agent %.0f, agent stacks=all %.0f\n", mw, mg, mx
           printf "paired ratio (median of the rounds): agent %.3f, agent stacks=all %.3f\n", mq, mqa
           printf "cost per connection (from the medians): agent %.2f us, stacks=all %.2f us\n", 1e6/mg - 1e6/mw, 1e6/mx - 1e6/mw }' "$tmp/runs"
