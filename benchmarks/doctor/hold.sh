# Sourced inside a fresh network namespace by doctor-perf.sh and doctor-start.sh: loopback up, the whole port range,
# then $N loopback connections held at both ends by as many python3 processes as the 20,000-descriptor cap per
# process needs. Sets: fifo (their stdin: they exit when it closes), pids, and prints the "held:" line.
ip link set lo up
sysctl -q -w net.ipv4.ip_local_port_range="1024 65535"
P=$(( (2 * N + 17999) / 18000 ))
fifo=$(mktemp -u); mkfifo "$fifo"; exec {keep}<>"$fifo"
pids=()
for i in $(seq "$P"); do
    python3 benchmarks/doctor/hold-connections.py $(( N / P )) < "$fifo" > "$fifo.$i" & pids+=($!)
done
for i in $(seq "$P"); do until grep -q ready "$fifo.$i" 2>/dev/null; do sleep 0.2; done; done
echo "held: $(cat "$fifo".* | awk '{s+=$2} END {print s}') sockets by $P python3 processes (${pids[*]}); ss counts $(ss -tanH | wc -l) TCP sockets in this namespace"
