#!/usr/bin/env bash
# The benchmark target's own ceiling: wrk against bench/BenchTarget.java on
# 127.0.0.1, the same /delay/0?size=1024 request as workload W4, with nothing else running.
#   bench/target-ceiling.sh [connections] [seconds]
# Installs wrk (Debian package) when it is missing. Loopback only; bounded by [seconds].
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${1:-256}"
seconds="${2:-10}"
if ! command -v wrk > /dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk > /dev/null || { apt-get update > /dev/null && apt-get install -y wrk > /dev/null; }
  else sudo apt-get install -y wrk > /dev/null; fi
fi
. bench/lib.sh
start_target 19001 target/ceiling-target.log
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1), date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
url="http://127.0.0.1:19001/delay/0?size=1024"
wrk -t2 -c"$connections" -d5s "$url" > /dev/null   # warm-up (JIT), not reported
wrk -t2 -c"$connections" -d"${seconds}s" "$url"
