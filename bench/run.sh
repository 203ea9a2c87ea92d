#!/usr/bin/env bash
# fetchrunner benchmark: builds the jar, starts the target server and the service on
# 127.0.0.1 (java @conf/jvm.options -jar, as the README starts it), runs the workloads
# of docs/BENCHMARKS.md and prints one line per workload. W1-W4 also run, on the same URLs
# and target and alternately with fetchrunner, on reference clients (bench/peers/): Go
# net/http, asyncio + aiohttp and the bare Pekko HTTP client, with the ratios the bars are on.
#   bench/run.sh                       all workloads, median of 3 runs, H2 store, all peers
#   bench/run.sh 1 W1,W2               chosen workloads, 1 run each
#   bench/run.sh 3 W4 --peers go       chosen reference clients (none: --peers "")
#   bench/run.sh 3 W4 --store postgres the service on PostgreSQL (a fresh database, created
#                                      and dropped here; see use_store in bench/lib.sh)
# The peers need Debian's golang-go and python3-aiohttp (apt-get install -y golang-go
# python3-aiohttp); a missing one is skipped, saying so.
# Loopback only; every workload is a fixed number of URLs, so the run is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/lib.sh
peers="go,aiohttp,pekko"
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) peers="$2"; shift 2 ;;
    --peers=*) peers="${1#*=}"; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
parse_store "${rest[@]+"${rest[@]}"}"
runs="${args[0]:-3}"
workloads="${args[1]:-W1,W2,W3,W4,W5,S,P,R}"

mvn -B -q package -DskipTests
test_classpath
use_peers "$peers"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1), open files $(ulimit -n)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD), load: $(uptime | sed 's/.*load average: //')"
use_store

start_target 19000 target/bench-target.log

BENCH_PEERS="$peers_ok" java -cp "$cp" bench/BenchDriver.java 19000 "$runs" "$workloads"
echo "load after: $(uptime | sed 's/.*load average: //')"
