#!/usr/bin/env bash
# The ceiling of Pekko HTTP's client alone on this machine (bench/ClientCeiling.java):
#   bench/client-ceiling.sh [requests] [concurrency] [rounds]     defaults 20000 256 5
# Starts bench/BenchTarget.java on 127.0.0.1:19001; loopback only, a fixed number of requests.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
mvn -B -q test-compile
test_classpath
start_target 19001 target/bench-target-ceiling.log
java -Xmx512m -XX:+UseParallelGC -cp "$cp" bench/ClientCeiling.java 19001 "${1:-20000}" "${2:-256}" "${3:-5}"
