#!/usr/bin/env bash
# The ceiling of Pekko HTTP's client alone on this machine (bench/ClientCeiling.java): the
# shapes of W4, W2 and W3 with nothing persisted and no actors of ours, each in a fresh JVM with
# the service's heap and collector. Prints one line per round (round 0 is the warm-up).
#   bench/client-ceiling.sh [rounds]        default 4
# Each shape runs single, flow, single, flow in one JVM: the second pass of each way is the one
# to read (the first pass also warms the JIT for the way that follows it).
# Starts bench/BenchTarget.java on 127.0.0.1:19001; loopback only, a fixed number of requests.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-4}"
. bench/lib.sh
mvn -B -q test-compile
test_classpath
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)"
start_target 19001 target/bench-target-ceiling.log
run() {
  java -Xmx512m -XX:+UseParallelGC -Dmodes=single,flow,single,flow -cp "$cp" bench/ClientCeiling.java \
    19001 "$@"
}
echo "== W4's shape: 20,000 requests, 256 at a time, /delay/0, 1 KiB bodies"
run 20000 256 "$rounds" 0 1024
echo "== W2's shape: 1,000 requests, 1,000 at a time, /delay/1000"
run 1000 1000 "$rounds" 1000 2
echo "== W3's shape: 10,000 requests, 10,000 at a time (one connection each), /delay/2000"
run 10000 10000 "$rounds" 2000 2
