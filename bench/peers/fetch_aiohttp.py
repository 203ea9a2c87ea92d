"""The asyncio + aiohttp reference client of bench/run.sh --peers (Debian's python3-aiohttp).

Fetches every URL of a file (one per line) with `concurrency` tasks sharing one ClientSession
whose connector allows `concurrency` connections (limit and limit_per_host; the default 100
would cap W2 and W3), reads each body to the end, and prints
  wall_ms=... cpu_ms=... rss_mib=... ok=... failed=...
wall from the first request to the last body read; CPU (user+system) and peak RSS of the
process (getrusage, /proc/self/status). Run: /usr/bin/python3 bench/peers/fetch_aiohttp.py URLFILE CONCURRENCY
"""
import asyncio
import resource
import sys
import time

import aiohttp


async def fetch_all(urls, concurrency):
    counts = {"ok": 0, "failed": 0}
    pending = iter(urls)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     auto_decompress=False) as session:
        async def worker():
            for url in pending:  # one iterator, shared: each URL is taken once
                try:
                    async with session.get(url) as response:
                        while await response.content.read(65536):
                            pass
                        counts["ok" if 200 <= response.status < 300 else "failed"] += 1
                except Exception:  # noqa: BLE001 - a failure is counted, not raised
                    counts["failed"] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return wall, counts


def main():
    if len(sys.argv) != 3:
        print("usage: fetch_aiohttp.py URLFILE CONCURRENCY", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        urls = [line.strip() for line in f if line.strip()]
    wall, counts = asyncio.run(fetch_all(urls, int(sys.argv[2])))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print("wall_ms=%.1f cpu_ms=%.1f rss_mib=%.1f ok=%d failed=%d" % (
        wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, peak_rss_mib(),
        counts["ok"], counts["failed"]))


def peak_rss_mib():
    """VmHWM: getrusage's maxrss would count the starting process's memory before exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


if __name__ == "__main__":
    main()
