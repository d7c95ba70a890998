#!/usr/bin/env bash
# The doctor's start against its reading (issue 20): 100,000 owned sockets (both ends of 50,000 loopback connections
# held by six python3 processes: this machine caps descriptors per process at 20,000) in a private namespace, and
# `doctor --json` started five ways, taking turns round after round so that the machine's drift falls on all alike:
#   17            java -jar teardown-cli.jar doctor --json (JDK 17, JNA), as issue 12 measured it
#   17-flags      with -XX:TieredStopAtLevel=1 -XX:+UseSerialGC (what ./teardown doctor added before)
#   17-cds        and the application class-data archive the build makes (cli/target/teardown-cli.jsa)
#   25-ffm        JDK 25, the FFM binding (no JNA), the same flags
#   25-aot-ffm    and an AOT cache trained with FFM (made here, target/teardown-cli-ffm.aot)
#   25-aot        JDK 25 with JNA and the AOT cache the build makes (cli/target/teardown-cli.aot): ./teardown doctor's
# Reading = the doctor's own elapsed_ms (from the start of the owner scan, which now begins beside picocli and the
# binding's start, to the end of the three dumps) plus the other namespaces' counts it reads as root; start = wall -
# reading (the JVM until the scan begins, rendering, exit). "warm" is the reading alone in a JVM that has read once
# already (the third sample of --watch), for what the reading costs without any start.
# Then `doctor --netns all --json` over 50 namespaces, each with a python3 process holding 10 CLOSE_WAIT.
# Run it alone: flock /tmp/teardown-bench.lock benchmarks/doctor/doctor-start.sh [connections] [rounds] [namespaces]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-50000}
ROUNDS=${2:-7}
NS=${3:-50}
JAR=$PWD/cli/target/teardown-cli.jar
J17=$(cat cli/target/teardown-cli.jsa.jdk)
J25=$(cat cli/target/teardown-cli.aot.jdk)
export N ROUNDS NS JAR J17 J25
exec unshare -n bash -s <<'INNER'
set -euo pipefail
source benchmarks/doctor/hold.sh
F="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
declare -A CMD=(
  [17]="$J17/bin/java -jar $JAR doctor --json"
  [17-flags]="$J17/bin/java $F -jar $JAR doctor --json"
  [17-cds]="$J17/bin/java $F -XX:SharedArchiveFile=${JAR%.jar}.jsa -Xlog:cds=off -Xlog:cds+dynamic=off -jar $JAR doctor --json"
  [25-ffm]="$J25/bin/java $F -jar $JAR doctor --json"
  [25-aot-ffm]="$J25/bin/java $F -XX:AOTCache=${JAR%.jar}-ffm.aot -Xlog:aot=off -Xlog:cds=off -jar $JAR doctor --json"
  [25-aot]="$J25/bin/java $F -Ddev.teardown.binding=jna -XX:AOTCache=${JAR%.jar}.aot -Xlog:aot=off -Xlog:cds=off -jar $JAR doctor --json"
)
ORDER=(17 17-flags 17-cds 25-ffm 25-aot-ffm 25-aot)
[ -s "${JAR%.jar}-ffm.aot" ] && [ "${JAR%.jar}-ffm.aot" -nt "$JAR" ] || $J25/bin/java $F -XX:AOTCacheOutput="${JAR%.jar}-ffm.aot" \
    -Xlog:aot=off -Xlog:cds=off -jar "$JAR" doctor --json > /dev/null 2>&1
out=$(mktemp)
one() { # prints: wall_ms reading_ms sockets
    local s e
    s=$(date +%s%N); ${CMD[$1]} > "$out"; e=$(date +%s%N)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); o=d.get("other_namespaces",{}).get("elapsed_ms",0); print(int(sys.argv[2]), d["elapsed_ms"]+o, d["sockets"])' "$out" $(( (e - s) / 1000000 ))
}
for c in "${ORDER[@]}"; do one "$c" >/dev/null; done   # warm the page cache for every JDK and archive
warm() { ${CMD[25-aot]/doctor --json/doctor --json --watch 300ms --count 3} | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["elapsed_ms"])'; }
declare -A W R
WARM=""
for r in $(seq "$ROUNDS"); do
    echo "round $r  load: $(cut -d' ' -f1-3 /proc/loadavg)"
    k=$(( r % ${#ORDER[@]} ))
    for c in "${ORDER[@]:k}" "${ORDER[@]:0:k}"; do
        read -r w rd n < <(one "$c")
        W[$c]="${W[$c]:-} $w"; R[$c]="${R[$c]:-} $rd"
        printf '  %-9s wall %5d ms  reading %5d ms  start %5d ms  (%d sockets)\n' "$c" "$w" "$rd" $(( w - rd )) "$n"
    done
    wr=$(warm); WARM="$WARM $wr"
    printf '  %-9s reading %5d ms (third sample of one JVM)\n' warm "$wr"
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "medians over $ROUNDS rounds (ms):"
for c in "${ORDER[@]}"; do
    wm=$(echo ${W[$c]} | med); rm=$(echo ${R[$c]} | med)
    st=""; for i in $(seq "$ROUNDS"); do st="$st $(( $(echo ${W[$c]} | cut -d' ' -f$i) - $(echo ${R[$c]} | cut -d' ' -f$i) ))"; done
    printf '  %-9s wall %5d  reading %5d  start %5d\n' "$c" "$wm" "$rm" "$(echo $st | med)"
done
echo "  warm reading (25-aot, third sample): median $(echo $WARM | med) ms"
# CPU time (user + system) does not grow with the machine's load the way wall time does: a cold run's, and what each
# further sample of --watch adds (the reading alone), median of ROUNDS
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%d", ($1 + $2) * 1000}'; }
for c in 17-flags 25-ffm 25-aot; do
    one=""; more=""
    for r in $(seq "$ROUNDS"); do
        a=$(cpu ${CMD[$c]}); b=$(cpu ${CMD[$c]/doctor --json/doctor --json --watch 100ms --count 3})
        one="$one $a"; more="$more $(( (b - a) / 2 ))"
    done
    printf '  %-9s cpu ms: cold run %5d (user+sys), each further --watch sample %5d (medians)\n' "$c" "$(echo $one | med)" "$(echo $more | med)"
done
kill "${pids[@]}"; rm -f "$fifo" "$fifo".* "$out"
sleep 62 # the 50,000 connections just closed leave TIME_WAIT here for 60 s: not part of the next figure

# --netns all over $NS namespaces (made here as ip netns names, one python3 holder each)
tag=td20-perf-$$
hold=()
cleanup() { kill "${hold[@]}" 2>/dev/null || true; for i in $(seq "$NS"); do ip netns del "$tag-$i" 2>/dev/null || true; done; }
trap cleanup EXIT
fifo=$(mktemp -u); mkfifo "$fifo"; exec {keep2}<>"$fifo"
for i in $(seq "$NS"); do
    ip netns add "$tag-$i"; ip -n "$tag-$i" link set lo up
    ip netns exec "$tag-$i" python3 cli/src/test/resources/holder.py 10 < "$fifo" > "$fifo.ns$i" & hold+=($!)
done
for i in $(seq "$NS"); do until grep -q ready "$fifo.ns$i" 2>/dev/null; do sleep 0.2; done; done
echo "--netns all over $(ip netns list | grep -c "^$tag-") namespaces made here, each holding 17 sockets (10 in CLOSE_WAIT); load: $(cut -d' ' -f1-3 /proc/loadavg)"
walls=(); reads=()
for r in $(seq "$ROUNDS"); do
    s=$(date +%s%N); ${CMD[25-aot]/doctor --json/doctor --netns all --json} > "$fifo.json"; e=$(date +%s%N)
    read -r w rd n c t < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(sys.argv[2]), d["elapsed_ms"], len(d["namespaces"]), sum(x["states"]["CLOSE_WAIT"] for x in d["namespaces"]), sum(x["sockets"] for x in d["namespaces"]))' "$fifo.json" $(( (e - s) / 1000000 )))
    printf '  25-aot --netns all: wall %5d ms  reading %5d ms  (%d namespaces, %d sockets, %d in CLOSE_WAIT)\n' "$w" "$rd" "$n" "$t" "$c"
    walls+=("$w"); reads+=("$rd")
done
echo "median: wall $(echo "${walls[*]}" | med) ms, reading $(echo "${reads[*]}" | med) ms"
rm -f "$fifo" "$fifo".*
INNER
