// fetch.go: the Go net/http reference client of bench/run.sh --peers. Fetches every URL of a
// file (one per line) with `concurrency` goroutines sharing one http.Client whose Transport
// keeps up to `concurrency` idle connections per host (MaxIdleConnsPerHost: the default of 2
// would close and reopen connections all the time), reads each body to the end, and prints
//   wall_ms=... cpu_ms=... rss_mib=... ok=... failed=...
// wall from the first request to the last body read; CPU (user+system) and peak RSS of the
// whole process (getrusage, /proc/self/status). Build: go build -o target/peer-go bench/peers/fetch.go
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: peer-go URLFILE CONCURRENCY")
		os.Exit(2)
	}
	file, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var urls []string
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		if line := strings.TrimSpace(scanner.Text()); line != "" {
			urls = append(urls, line)
		}
	}
	concurrency, err := strconv.Atoi(os.Args[2])
	if err != nil || concurrency < 1 {
		fmt.Fprintln(os.Stderr, "CONCURRENCY must be a positive number")
		os.Exit(2)
	}
	transport := &http.Transport{
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	client := &http.Client{Transport: transport, Timeout: 120 * time.Second}
	var ok, failed int64
	work := make(chan string)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for url := range work {
				resp, err := client.Get(url)
				if err != nil {
					atomic.AddInt64(&failed, 1)
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode/100 == 2 {
					atomic.AddInt64(&ok, 1)
				} else {
					atomic.AddInt64(&failed, 1)
				}
			}
		}()
	}
	for _, url := range urls {
		work <- url
	}
	close(work)
	wg.Wait()
	wall := time.Since(start)
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	fmt.Printf("wall_ms=%.1f cpu_ms=%.1f rss_mib=%.1f ok=%d failed=%d\n",
		float64(wall.Microseconds())/1000, float64(cpu.Microseconds())/1000,
		peakRssMiB(), ok, failed)
}

// peakRssMiB is VmHWM of /proc/self/status: getrusage's maxrss would count the memory of
// the process that started this one before its exec (the benchmark driver's JVM).
func peakRssMiB() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kib, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kib) / 1024
		}
	}
	return -1
}
