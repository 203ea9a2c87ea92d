#!/usr/bin/env bash
# What event-stream subscribers cost a job: bench/StreamCost.java against the service jar
# (-Xmx512m -XX:+UseParallelGC, as bench/run.sh) and bench/BenchTarget.java on 127.0.0.1.
#   bench/stream-cost.sh [rounds, default 3]
# Loopback only; a fixed number of jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
. bench/lib.sh
mvn -B -q package -DskipTests
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
start_target 19004 target/bench-target-stream.log
data=$(mktemp -d)
java -Xmx512m -XX:+UseParallelGC -Dfetchrunner.http.port=18094 -Dfetchrunner.data-dir="$data" \
  -jar target/fetchrunner.jar > target/bench-stream-cost.log 2>&1 &
svc=$!
trap 'kill $svc $target_pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do curl -s 127.0.0.1:18094/health > /dev/null && break; sleep 1; done
java bench/StreamCost.java 18094 19004 "$rounds"
