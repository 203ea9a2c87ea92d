#!/usr/bin/env bash
# The journal's write rate without fetching (bench/JournalRate.java): the service's
# configuration, serializer, journal plugin and table, on H2 or PostgreSQL.
#   bench/journal-rate.sh                                  3 runs of 1x256 and 16x64, H2
#   bench/journal-rate.sh 3 1x256,16x64 100000 --store postgres
# (runs, entities x batch, URL results per run). The writer JVM gets the service's heap and
# collector (-Xmx512m -XX:+UseParallelGC). Bounded: each run writes a fixed number of events.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/lib.sh
parse_store "$@"

mvn -B -q package -DskipTests
test_classpath

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD), load: $(uptime | sed 's/.*load average: //')"
use_store

java -Xmx512m -XX:+UseParallelGC -cp "$cp" bench/JournalRate.java "${args[@]}" \
  2> target/journal-rate.log
echo "load after: $(uptime | sed 's/.*load average: //')"
