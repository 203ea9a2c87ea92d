#!/usr/bin/env bash
# fetchrunner benchmark: builds the jar, starts the target server and the service on
# 127.0.0.1, runs the workloads of docs/BENCHMARKS.md and prints one line per workload.
#   bench/run.sh                       all workloads, median of 3 runs, H2 store
#   bench/run.sh 1 W1,W2               chosen workloads, 1 run each
#   bench/run.sh 3 W4 --store postgres the service on PostgreSQL (a fresh database, created
#                                      and dropped here; see use_store in bench/lib.sh)
# Loopback only; every workload is a fixed number of URLs, so the run is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/lib.sh
parse_store "$@"
runs="${args[0]:-3}"
workloads="${args[1]:-W1,W2,W3,W4,W5,S,R}"

mvn -B -q package -DskipTests
test_classpath

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1), open files $(ulimit -n)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD), load: $(uptime | sed 's/.*load average: //')"
use_store

start_target 19000 target/bench-target.log

java -cp "$cp" bench/BenchDriver.java 19000 "$runs" "$workloads"
echo "load after: $(uptime | sed 's/.*load average: //')"
