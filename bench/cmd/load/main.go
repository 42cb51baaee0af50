// Command load puts a bounded load on rrra serve over loopback and reports
// errors, throughput, latency quantiles and the server's peak memory.
//
// With --rrra it starts the server itself (rrra serve plus --serve-args, on
// a free loopback port), waits for /healthz, runs the load, reads the
// server's peak resident memory (VmHWM in /proc/PID/status, Linux) and
// stops it with SIGINT; with --url it loads a server already running (no
// memory figure). Queries are the --data collection's, in file order, over
// and over. It exits 1 when any request failed.
//
// Usage:
//
//	go run ./bench/cmd/load --rrra ./rrra --serve-args '--model rrra-demo/model' [-n 10000] [-c 64] [-k 10] [-rerank-every 2] [-json]
//	go run ./bench/cmd/load --url http://127.0.0.1:8080 [-n 10000] [-c 64]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rrra/rrra/bench/load"
	"github.com/rrra/rrra/retrieval/beir"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("rrra", "", "rrra binary to start the server with (or --url)")
	serveArgs := flag.String("serve-args", "", "arguments for rrra serve, space-separated (--addr is added)")
	base := flag.String("url", "", "a running server's base address")
	data := flag.String("data", "cranfield", "BEIR folder or embedded collection whose queries to send")
	n := flag.Int("n", 10000, "requests in all")
	c := flag.Int("c", 64, "concurrency: requests in flight")
	k := flag.Int("k", 10, "hits per query")
	rerankEvery := flag.Int("rerank-every", 2, "every n-th request asks for reranking (0: none)")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	flag.Parse()
	if (*bin == "") == (*base == "") {
		return errors.New("give exactly one of --rrra and --url")
	}

	fsys, name, err := beir.Open(*data)
	if err != nil {
		return err
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		return err
	}
	var queries []string
	for _, q := range d.Queries.List {
		queries = append(queries, q.Text)
	}

	var srv *exec.Cmd
	var exited chan error // the server's exit, once
	if *bin != "" {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		args := append([]string{"serve", "--addr", addr, "--max-inflight", strconv.Itoa(max(64, *c))}, strings.Fields(*serveArgs)...)
		srv = exec.Command(*bin, args...)
		srv.Stderr = os.Stderr
		if err := srv.Start(); err != nil {
			return err
		}
		exited = make(chan error, 1)
		go func() { exited <- srv.Wait() }()
		defer func() {
			if srv.ProcessState == nil {
				srv.Process.Kill()
				<-exited
			}
		}()
		*base = "http://" + addr
		if err := waitHealthy(*base, exited); err != nil {
			return err
		}
	}
	var rssBefore int64
	if srv != nil {
		rssBefore, _ = procStatus(srv.Process.Pid, "VmRSS")
	}
	rep, err := load.Run(context.Background(), load.Config{URL: *base, Queries: queries, Requests: *n, Concurrency: *c, K: *k, RerankEvery: *rerankEvery})
	if err != nil {
		return err
	}
	out := struct {
		*load.Report
		RSSBeforeMiB float64 `json:"server_rss_before_mib,omitempty"`
		PeakRSSMiB   float64 `json:"server_peak_rss_mib,omitempty"`
		RerankEvery  int     `json:"rerank_every"`
		K            int     `json:"k"`
	}{Report: rep, RerankEvery: *rerankEvery, K: *k}
	if srv != nil {
		hwm, err := procStatus(srv.Process.Pid, "VmHWM")
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: no peak memory figure:", err)
		}
		out.RSSBeforeMiB, out.PeakRSSMiB = float64(rssBefore)/1024, float64(hwm)/1024
		srv.Process.Signal(syscall.SIGINT)
		if err := <-exited; err != nil {
			return fmt.Errorf("the server did not stop cleanly: %w", err)
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Println(string(b))
	} else {
		fmt.Printf("| requests | concurrency | k | reranked | errors | req/s | p50 ms | p90 ms | p99 ms | max ms | server RSS before → peak |\n")
		fmt.Printf("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		share := "none"
		if *rerankEvery > 0 {
			share = fmt.Sprintf("1 in %d", *rerankEvery)
		}
		mem := "—"
		if out.PeakRSSMiB > 0 {
			mem = fmt.Sprintf("%.0f → %.0f MiB", out.RSSBeforeMiB, out.PeakRSSMiB)
		}
		fmt.Printf("| %d | %d | %d | %s | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %s |\n",
			rep.Requests, rep.Concurrency, *k, share, rep.ErrorCount(), rep.PerSecond, rep.P50, rep.P90, rep.P99, rep.Max, mem)
	}
	if rep.ErrorCount() > 0 {
		return fmt.Errorf("%d of %d requests failed (%v); first: %s", rep.ErrorCount(), rep.Requests, rep.Errors, rep.FirstError)
	}
	return nil
}

// freeAddr returns a loopback address with a port free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHealthy polls /healthz until it answers 200 or the server exits.
func waitHealthy(base string, exited <-chan error) error {
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited before it was ready: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// procStatus reads a "Field: N kB" line of /proc/PID/status, in KiB.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}
