// Package load is a bounded HTTP load generator for rrra serve: a fixed
// number of GET /search requests from a fixed number of workers, each
// answer checked (status 200, a JSON body with as many hits as asked), and
// a report of errors, throughput and latency quantiles.
//
// It is bounded by construction: exactly Requests requests, at most
// Concurrency in flight, one client with Concurrency idle connections, and
// a per-request timeout, so a stuck server ends the run with errors rather
// than hanging it.
package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what load to put on which server.
type Config struct {
	URL         string        // the server's base address, as http://127.0.0.1:8080
	Queries     []string      // query texts, used in turn
	Requests    int           // requests in all
	Concurrency int           // workers, each with one request in flight
	K           int           // hits asked per query
	RerankEvery int           // every n-th request asks for reranking (0: none)
	Timeout     time.Duration // per request (0: 30 s)
}

// Report is what a run measured. Latencies are in milliseconds, from
// sending a request to reading the last byte of its answer.
type Report struct {
	Requests    int            `json:"requests"`
	Concurrency int            `json:"concurrency"`
	OK          int            `json:"ok"`
	Errors      map[string]int `json:"errors,omitempty"` // by kind: "status 503", "timeout", "short answer", ...
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"requests_per_second"`
	P50         float64        `json:"p50_ms"`
	P90         float64        `json:"p90_ms"`
	P99         float64        `json:"p99_ms"`
	Max         float64        `json:"max_ms"`
	FirstError  string         `json:"first_error,omitempty"`
}

// ErrorCount is the number of failed requests.
func (r *Report) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Run puts the configured load on the server and reports it. It returns an
// error only for a configuration it cannot run; failed requests are
// counted in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Requests < 1 || cfg.Concurrency < 1 || cfg.K < 1 || len(cfg.Queries) == 0 {
		return nil, fmt.Errorf("load: need requests, concurrency and k ≥ 1 and at least one query (have %d, %d, %d, %d queries)",
			cfg.Requests, cfg.Concurrency, cfg.K, len(cfg.Queries))
	}
	if _, err := url.Parse(cfg.URL); err != nil {
		return nil, fmt.Errorf("load: server address: %w", err)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	client := &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency},
	}
	defer client.CloseIdleConnections()

	lat := make([]float64, cfg.Requests)
	fail := make([]string, cfg.Requests)
	var next atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Requests {
					return
				}
				rerank := cfg.RerankEvery > 0 && i%cfg.RerankEvery == 0
				t0 := time.Now()
				fail[i] = one(ctx, client, cfg, cfg.Queries[i%len(cfg.Queries)], rerank)
				lat[i] = float64(time.Since(t0).Microseconds()) / 1000
			}
		}()
	}
	wg.Wait()
	el := time.Since(began).Seconds()

	rep := &Report{Requests: cfg.Requests, Concurrency: cfg.Concurrency, Seconds: el, PerSecond: float64(cfg.Requests) / el}
	for i, f := range fail {
		if f == "" {
			rep.OK++
			continue
		}
		if rep.Errors == nil {
			rep.Errors = map[string]int{}
			rep.FirstError = fmt.Sprintf("request %d: %s", i, f)
		}
		kind := f
		if j := strings.Index(f, ":"); j > 0 {
			kind = f[:j]
		}
		rep.Errors[kind]++
	}
	slices.Sort(lat)
	rep.P50, rep.P90, rep.P99 = Quantile(lat, 0.50), Quantile(lat, 0.90), Quantile(lat, 0.99)
	rep.Max = lat[len(lat)-1]
	return rep, nil
}

// one sends one search and checks its answer; it returns "" or what went
// wrong, as "kind: detail".
func one(ctx context.Context, c *http.Client, cfg Config, q string, rerank bool) string {
	v := url.Values{"q": {q}, "k": {strconv.Itoa(cfg.K)}, "rerank": {map[bool]string{true: "1", false: "0"}[rerank]}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL+"/search?"+v.Encode(), nil)
	if err != nil {
		return "request: " + err.Error()
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "cancelled: " + err.Error()
		}
		return "transport: " + err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "read: " + err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("status %d: %.200s", resp.StatusCode, body)
	}
	var ans struct {
		Reranked bool              `json:"reranked"`
		Hits     []json.RawMessage `json:"hits"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return "bad json: " + err.Error()
	}
	if len(ans.Hits) != cfg.K {
		return fmt.Sprintf("short answer: %d hits, asked %d", len(ans.Hits), cfg.K)
	}
	if ans.Reranked != rerank {
		return fmt.Sprintf("wrong mode: reranked %v, asked %v", ans.Reranked, rerank)
	}
	return ""
}

// Quantile returns the p-quantile of sorted values by linear interpolation
// between closest ranks (numpy's default); NaN for none.
func Quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
