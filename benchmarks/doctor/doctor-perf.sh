#!/usr/bin/env bash
# The doctor's performance figure (issue 12): `teardown doctor` against `ss -tanp` on the same table of
# 100,000 established loopback sockets held by six python3 processes (both ends of 50,000 connections;
# six because this machine caps descriptors per process at 20,000), in a private network namespace.
# Needs root (unshare -n). Usage: benchmarks/doctor/doctor-perf.sh [connections] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-50000}
RUNS=${2:-5}
JAR=cli/target/teardown-cli.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl cli -am
exec unshare -n bash -s "$N" "$RUNS" "$JAR" <<'INNER'
set -euo pipefail
N=$1; RUNS=$2; JAR=$3
source benchmarks/doctor/hold.sh
echo "processes on the machine: $(ls /proc | grep -c '^[0-9]')"
t() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for tool in "ss -tanp" "java -jar $JAR doctor --json"; do
    times=()
    for i in $(seq "$RUNS"); do times+=("$(t $tool)"); done
    echo "$tool: wall ms per run: ${times[*]}"
done
/usr/bin/time -f "ss -tanp: max RSS %M KB, %e s" ss -tanp >/dev/null
/usr/bin/time -f "doctor --json: max RSS %M KB, %e s" java -jar "$JAR" doctor --json >/dev/null
java -jar "$JAR" doctor --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("doctor saw", d["sockets"], "sockets, ESTABLISHED", d["states"]["ESTABLISHED"], "owned by", [(p["pid"], p["states"]) for p in d["processes"] if p["states"].get("ESTABLISHED",0) > 1000], "read in", d["elapsed_ms"], "ms")'
kill "${pids[@]}"; rm -f "$fifo" "$fifo".*
INNER
