#!/usr/bin/env bash
# The agent's cost per connection: JMH's ChannelChurn (JDK SocketChannel connect + close, client first, no exchange,
# one thread, against native/accept-close-listener) without the agent, with -javaagent:teardown-agent.jar (its
# default budget of 1000 stacks per second) and with -javaagent:teardown-agent.jar=stacks=all (a stack for every
# socket), in paired rounds (the order rotates). Every fork runs in a network namespace of its own, made for it, with
# the settings of ./teardown bench: a fork never inherits the TIME_WAIT sockets of the one before it, whose number
# changes what connect() pays to find a port. Prints each run and the medians. `cpu` instead of ROUNDS: the
# connecting thread's CPU time per connection, all and user-mode only (ChurnCpu.java), which a busy machine disturbs
# far less than throughput. `alternate` instead of ROUNDS: AlternatingChurn.java, two warmed JVMs (without and with
# the agent) taking turns window by window, so that the machine's drift cancels within each pair; it runs the agent
# as the second JVM and then as the first (a position bias cancels too), for the default budget and for stacks=all,
# then an echo workload (100 round trips of 64 bytes per connection) with the default budget.
# `cpu` and `alternate` pin the connecting JVM to CPU 0 and its listener to CPU 1 (when there are two CPUs): where the scheduler happens to
# place the two decides throughput by up to 20 % from one process to the next, which is what made unpinned forks
# disagree (JMH forks are not pinned: its listener is a child of the benchmark JVM; TEARDOWN_AGENT_JMH_CPUS=0 runs
# JMH, its fork and the listener all on CPU 0).
# Needs root (unshare -n), benchmarks/target/benchmarks.jar, native/target/bin and the agent jar:
#   mvn -B -q -DskipTests package -pl benchmarks,agent -am
# Usage: benchmarks/agent/agent-churn.sh [ROUNDS | cpu [ROUNDS] | alternate [PAIRS]]   (default 6, 3 and 40;
# $TEARDOWN_AGENT_JAR names another agent jar)
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=$PWD/benchmarks/target/benchmarks.jar
agent=${TEARDOWN_AGENT_JAR:-$PWD/agent/target/teardown-agent.jar}
bin=$PWD/native/target/bin
needs=("$agent" "$bin/accept-close-listener"); [ "${1:-}" = alternate ] || needs+=("$jar")   # alternate needs no JMH
for f in "${needs[@]}"; do
    [ -e "$f" ] || { echo "agent-churn: $f is missing; run: mvn -B -q -DskipTests package -pl benchmarks,agent -am" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# runs "$@" in a new network namespace with loopback up and ./teardown bench's settings
fresh_netns() {
    unshare -n bash -c 'ip link set lo up &&
        sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_tw_reuse_delay=1000 \
            net.ipv4.tcp_timestamps=1 && exec "$@"' fresh_netns "$@"
}

# one JMH fork: 3 x 1 s warm-up, 5 x 1 s measured; prints connections/s (JMH's score)
run() {
    local extra=$1
    fresh_netns ${TEARDOWN_AGENT_JMH_CPUS:+taskset -c "$TEARDOWN_AGENT_JMH_CPUS"} java -Dteardown.native.bin="$bin" \
        -jar "$jar" jmh 'ChannelChurn.cycle' -p variant=client-first \
        -p exchange=false -f 1 -wi 3 -w 1s -i 5 -r 1s -jvmArgsAppend "-Dteardown.native.bin=$bin $extra" \
        -rf csv -rff "$tmp/r.csv" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
    awk -F, 'NR==2 {gsub(/"/,"",$5); printf "%.0f\n", $5}' "$tmp/r.csv"
}

# one ChurnCpu run against a listener of its own; prints "CPU USER" ns per connection
cpu() {
    fresh_netns bash -c 'pin0=; pin1=; if [ "$(nproc)" -ge 2 ]; then pin0="taskset -c 0"; pin1="taskset -c 1"; fi
        rm -f "$2/listener"; $pin1 "$1"/accept-close-listener --mode wait-for-client --threads 1 >"$2/listener" & l=$!
        until grep -q "[0-9]" "$2/listener" 2>/dev/null; do sleep 0.1; done
        $pin0 java $3 "$4" "$(grep -o "[0-9]\+" "$2/listener" | tail -1)" x 2>/dev/null | cut -d" " -f2-3
        kill $l' cpu "$bin" "$tmp" "$1" "$PWD/benchmarks/agent/ChurnCpu.java"
}

# runs "$1" without the agent (sets a), with it (b) and with stacks=all (c), in an order that rotates with round $2
rotate() {
    case $(($2 % 3)) in
        1) a=$($1 ""); b=$($1 "-javaagent:$agent"); c=$($1 "-javaagent:$agent=stacks=all") ;;
        2) b=$($1 "-javaagent:$agent"); c=$($1 "-javaagent:$agent=stacks=all"); a=$($1 "") ;;
        0) c=$($1 "-javaagent:$agent=stacks=all"); a=$($1 ""); b=$($1 "-javaagent:$agent") ;;
    esac
}

if [ "${1:-}" = cpu ]; then
    rounds=${2:-3}
    echo "round  without  agent  agent,stacks=all  (CPU ns per connection, all / user mode, median of 12 windows)  load"
    for r in $(seq "$rounds"); do
        rotate cpu "$r"
        printf "%5d  %13s  %13s  %13s  %s\n" "$r" "${a/ //}" "${b/ //}" "${c/ //}" "$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "$a $b $c" >>"$tmp/cpu"
    done
    awk 'function med(a, n,   i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]<a[i]) { t=a[i]; a[i]=a[j]; a[j]=t }
                                       return n%2 ? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2 }
         { w[NR]=$1; wu[NR]=$2; g[NR]=$3; gu[NR]=$4; x[NR]=$5; xu[NR]=$6 }
         END { n=NR
               printf "median CPU ns per connection: without %.0f (user %.0f), agent %.0f (user %.0f), stacks=all %.0f (user %.0f)\n",
                   med(w,n), med(wu,n), med(g,n), med(gu,n), med(x,n), med(xu,n) }' "$tmp/cpu"
    exit 0
fi

if [ "${1:-}" = alternate ]; then
    pairs=${2:-40}
    # churn with the default budget and with stacks=all, then the echo workload (100 round trips of 64 bytes per
    # connection: many reads and writes per socket) with the default budget
    for run in "churn|" "churn|=stacks=all" "echo|"; do
        load=${run%%|*}; opt=${run#*|}
        mode=(); [ "$load" = echo ] && mode=(--echo 100)
        echo "load: $(cut -d' ' -f1-3 /proc/loadavg) ($load, agent$opt)"
        b=$(java benchmarks/agent/AlternatingChurn.java "$bin" "$pairs" 250 "${mode[@]}" -- -- "-javaagent:$agent$opt" | tail -1)
        a=$(java benchmarks/agent/AlternatingChurn.java "$bin" "$pairs" 250 "${mode[@]}" -- "-javaagent:$agent$opt" -- | tail -1)
        echo "$load agent$opt second: $b"
        echo "$load agent$opt first:  $a"
        echo "$b" | awk -v f="$(echo "$a" | sed 's/.*B\/A throughput \([0-9.]*\).*/\1/')" '{
            match($0, /B\/A throughput [0-9.]+/); s = substr($0, RSTART + 15, RLENGTH - 15)
            printf "%s agent%s / without, throughput: %.3f as the second JVM, %.3f as the first, geometric mean %.3f\n",
                "'"$load"'", "'"$opt"'", s, 1 / f, sqrt(s / f) }'
    done
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (end)"
    exit 0
fi

rounds=${1:-6}
echo "round  without  agent  agent,stacks=all  (conn/s)  ratio  ratio(all)  load"
for r in $(seq "$rounds"); do
    rotate run "$r"
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
