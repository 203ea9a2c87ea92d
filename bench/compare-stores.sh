#!/usr/bin/env bash
# H2 and PostgreSQL alternated in one sitting, so that the machine's other load falls on
# both alike: each round runs W4 (bench/run.sh ROUNDS_W4_RUNS W4) and the journal's write
# rate (bench/journal-rate.sh) on H2, then on PostgreSQL, and notes the load average
# before each step. Output: target/compare-stores.log (and the console).
#   bench/compare-stores.sh [rounds, 3] [journal shapes, 1x128,16x128] [URL results per run, 100000]
# Bounded: rounds x 4 steps, each a fixed amount of work.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
shapes="${2:-1x128,16x128}"
events="${3:-100000}"
log=target/compare-stores.log
mkdir -p target
: > "$log"
for round in $(seq 1 "$rounds"); do
  for store in h2 postgres; do
    echo "== round $round, $store, W4: load $(uptime | sed 's/.*load average: //')" | tee -a "$log"
    bench/run.sh 3 W4 --store "$store" 2>&1 | grep -v '^\[' | tee -a "$log"
    echo "== round $round, $store, journal: load $(uptime | sed 's/.*load average: //')" | tee -a "$log"
    bench/journal-rate.sh 3 "$shapes" "$events" --store "$store" 2>&1 | tee -a "$log"
  done
done
