#!/usr/bin/env bash
# fetchrunner benchmark: builds the jar, starts the target server and the service on
# 127.0.0.1, runs the workloads of docs/BENCHMARKS.md and prints one line per workload.
#   bench/run.sh              all workloads, median of 3 runs
#   bench/run.sh 1 W1,W2      chosen workloads, 1 run each
# Loopback only; every workload is a fixed number of URLs, so the run is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
workloads="${2:-W1,W2,W3,W4,W5,S,R}"

. bench/lib.sh
mvn -B -q package -DskipTests
test_classpath

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1), open files $(ulimit -n)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)"

start_target 19000 target/bench-target.log

java -cp "$cp" bench/BenchDriver.java 19000 "$runs" "$workloads"
