#!/usr/bin/env bash
# Heap held by each idle connection of the service's HTTP client: starts the service jar
# (-Xmx512m -XX:+UseParallelGC, as bench/run.sh), opens 10,000 connections to one host with a
# job of 10,000 URLs at concurrency 10,000, and compares the live heap (jcmd
# GC.class_histogram) while they are open and idle with the live heap after the pool's
# keep-alive has closed them. Loopback only; one job.
#   bench/connection-memory.sh [extra JVM options for the service]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
mvn -B -q package -DskipTests
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)"
start_target 19002 target/bench-target-memory.log
data=$(mktemp -d)
# The finished job leaves memory after 3 s; its connections stay open for the keep-alive (10 s).
java -Xmx512m -XX:+UseParallelGC "$@" -Dfetchrunner.jobs.idle-unload-after=3s \
  -Dfetchrunner.http.port=18092 -Dfetchrunner.data-dir="$data" -Dfetchrunner.fetch.retries=0 \
  -jar target/fetchrunner.jar > target/bench-connection-memory.log 2>&1 &
svc=$!
trap 'kill $svc $target_pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do curl -s 127.0.0.1:18092/health > /dev/null && break; sleep 1; done
SVC=$svc python3 - <<'PY'
import json, os, subprocess, time, urllib.request
base = "http://127.0.0.1:18092"
def live():
    out = subprocess.run(["jcmd", os.environ["SVC"], "GC.class_histogram"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1].split()[2])  # "Total <instances> <bytes>"
def job(n, delay, concurrency):
    body = "\n".join(f"http://127.0.0.1:19002/delay/{delay}?i={i}" for i in range(n)).encode()
    req = urllib.request.Request(f"{base}/jobs?concurrency={concurrency}", data=body,
                                 headers={"Content-Type": "text/plain"})
    jid = json.load(urllib.request.urlopen(req))["id"]
    for _ in range(1200):
        if json.load(urllib.request.urlopen(f"{base}/jobs/{jid}?results=false")).get("finishedAt"):
            return
        time.sleep(0.05)
    raise SystemExit("job did not finish")
job(2000, 0, 64)          # warm-up
time.sleep(5.5)
job(10000, 1000, 10000)   # opens 10,000 connections
time.sleep(5.5)           # the job has left memory; the connections are open and idle
open_ = live()
time.sleep(8)             # past the 10 s keep-alive: closed
closed = live()
print(f"live heap with 10,000 idle connections {open_ / 1e6:.1f} MB, after they closed"
      f" {closed / 1e6:.1f} MB: {(open_ - closed) / 10000 / 1024:.1f} KiB per connection")
PY
