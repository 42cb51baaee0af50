package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rrra/rrra/adapter"
	libserver "github.com/rrra/rrra/adapter/server"
	"github.com/rrra/rrra/bench/load"
	"github.com/rrra/rrra/retrieval"
)

// testServer trains the quick demo model and serves Cranfield with it.
func testServer(t *testing.T, o serveOptions) (*server, *httptest.Server) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains the quick demo's model to serve: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	dir := t.TempDir()
	rrra(t, "demo", "--quick", "--out", dir)
	fs := newFlags("serve", "", io.Discard)
	df := addDataFlags(fs, "cranfield")
	s, err := newServer(df, filepath.Join(dir, "model"), "", 32, 32, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // after ts.Close: cleanups run last first
	ts := httptest.NewServer(s.handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// TestServe checks the API against the library: reranked results are the
// adapter's own reranking of the bi-encoder's top 100, unreranked ones the
// bi-encoder's order, and every limit answers 400 or 503 with a message.
func TestServe(t *testing.T) {
	requireE2E(t)
	o := serveOptions{maxK: 50, maxQuery: 200, maxBatch: 4, maxInflight: 32, timeout: 10 * time.Second, lambda: 0.25, rerankK: 100}
	s, ts := testServer(t, o)
	const query = "boundary layer transition on a flat plate"

	var plain, rer libserver.Result
	if code := getJSON(t, ts.URL+"/search?k=10&rerank=0&q="+strings.ReplaceAll(query, " ", "+"), &plain); code != 200 || len(plain.Hits) != 10 || plain.Reranked {
		t.Fatalf("plain search: %d %+v", code, plain)
	}
	for i, h := range plain.Hits {
		if h.Rank != i+1 || h.RankBefore != h.Rank || h.PRel != nil || h.ID == "" {
			t.Fatalf("plain hit %d: %+v", i, h)
		}
	}
	if code := getJSON(t, ts.URL+"/search?k=10&rerank=1&q="+strings.ReplaceAll(query, " ", "+"), &rer); code != 200 || !rer.Reranked || rer.Mode != libserver.Rerank || len(rer.Hits) != 10 {
		t.Fatalf("reranked search: %d %+v", code, rer)
	}
	// The demo's model has a learned fusion: a request that does not say
	// ranks hybrid, each hit with both scores, as the library ranks.
	var hy libserver.Result
	if code := getJSON(t, ts.URL+"/search?k=10&q="+strings.ReplaceAll(query, " ", "+"), &hy); code != 200 || hy.Mode != libserver.Hybrid || hy.Reranked || len(hy.Hits) != 10 {
		t.Fatalf("default (hybrid) search: %d %+v", code, hy)
	}
	// The same through the library.
	qv, err := s.enc.Queries([]string{query}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The library's reranker over the same adapters, with its defaults
	// (τ_b: the model's temperature), must rank as serve does.
	lib, err := adapter.NewReranker(s.rr.Folds(), float64(s.enc.Bi.Temperature), adapter.RerankConfig{K: 100, Lambda: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := lib.Rerank(s.ix, query, qv, s.ix.SearchOne(qv, 100))
	moved := false
	for i, h := range rer.Hits {
		if h.ID != s.ix.ID(want[i].Doc) || h.PRel == nil || !(*h.PRel > 0 && *h.PRel < 1) {
			t.Fatalf("reranked hit %d: %+v, want %s", i, h, s.ix.ID(want[i].Doc))
		}
		moved = moved || h.RankBefore != h.Rank
	}
	t.Logf("reranking moved a document in the top 10: %v", moved)
	f, err := adapter.LoadFusion(filepath.Join(s.modelDir, adapter.FusionFile))
	if err != nil {
		t.Fatal(err)
	}
	hr := &adapter.HybridRanker{Index: s.ix, BM25: retrieval.BuildBM25(retrieval.NewCorpusData(s.d)), K: 100, Scale: s.enc.LogitScale(), Fusion: f}
	wantHy, err := hr.Rank(query, qv, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hy.Hits {
		c := wantHy[i]
		if h.ID != s.ix.ID(c.Doc) || h.Fused == nil || *h.Fused != c.Score || h.BM25 == nil || *h.BM25 != c.BM25 || h.Score != c.Dense ||
			h.RankBefore != c.DenseRank || h.BM25Rank == nil || *h.BM25Rank != c.BM25Rank || h.PRel != nil {
			t.Fatalf("hybrid hit %d: %+v (fused %v, bm25 %v), want %+v", i, h, h.Fused, h.BM25, c)
		}
	}

	// A batch.
	body := `{"queries": ["heat transfer", "shock waves"], "k": 3, "rerank": false}`
	resp, err := http.Post(ts.URL+"/search", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var batch struct{ Results []libserver.Result }
	json.NewDecoder(resp.Body).Decode(&batch)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(batch.Results) != 2 || len(batch.Results[1].Hits) != 3 {
		t.Fatalf("batch: %d %+v", resp.StatusCode, batch)
	}

	// Bad requests, each refused with a message.
	for _, c := range []struct {
		name, method, path, body string
		code                     int
	}{
		{"no query", "GET", "/search?k=3", "", 400},
		{"k 0", "GET", "/search?q=flow&k=0", "", 400},
		{"k too large", "GET", "/search?q=flow&k=51", "", 400},
		{"k not a number", "GET", "/search?q=flow&k=ten", "", 400},
		{"bad rerank", "GET", "/search?q=flow&rerank=maybe", "", 400},
		{"bad hybrid", "GET", "/search?q=flow&hybrid=2", "", 400},
		{"rerank and hybrid", "GET", "/search?q=flow&rerank=1&hybrid=1", "", 400},
		{"query too long", "GET", "/search?q=" + strings.Repeat("a", 201), "", 400},
		{"unknown field", "POST", "/search", `{"queries":["a"],"kk":3}`, 400},
		{"not JSON", "POST", "/search", `{"queries":`, 400},
		{"empty batch", "POST", "/search", `{"queries":[]}`, 400},
		{"batch too large", "POST", "/search", `{"queries":["a","b","c","d","e"]}`, 400},
		{"body too large", "POST", "/search", `{"queries":["` + strings.Repeat("x", 1<<20) + `"]}`, 400},
		{"unknown path", "GET", "/nothing", "", 404},
		{"wrong method", "DELETE", "/search", "", 405},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || (c.code == 400 && !bytes.Contains(b, []byte(`"error"`))) {
			t.Errorf("%s: %d %s, want %d with an error", c.name, resp.StatusCode, b, c.code)
		}
	}

	// Every slot taken: 503.
	var held []func()
	for i := 0; i < o.maxInflight; i++ {
		release, ok := s.Reserve()
		if !ok {
			t.Fatalf("slot %d of %d refused", i, o.maxInflight)
		}
		held = append(held, release)
	}
	if _, ok := s.Reserve(); ok {
		t.Error("a slot beyond --max-inflight was given")
	}
	if code := getJSON(t, ts.URL+"/search?q=flow", nil); code != 503 {
		t.Errorf("with every slot taken: %d, want 503", code)
	}
	for _, release := range held {
		release()
	}

	// Concurrent clients all get answers, and the same as one at a time.
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r libserver.Result
			resp, err := http.Get(ts.URL + "/search?k=10&q=" + strings.ReplaceAll(query, " ", "+"))
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			json.NewDecoder(resp.Body).Decode(&r)
			if resp.StatusCode != 200 || len(r.Hits) != 10 {
				errs <- resp.Status
				return
			}
			// Batched with the others, hybrid (the default): the same
			// documents in the same order as the request answered alone.
			for i, h := range r.Hits {
				if h.ID != hy.Hits[i].ID || h.RankBefore != hy.Hits[i].RankBefore {
					errs <- fmt.Sprintf("hit %d: %s (before %d), alone %s (before %d)", i, h.ID, h.RankBefore, hy.Hits[i].ID, hy.Hits[i].RankBefore)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent request: %s", e)
	}

	// The page, health and metrics.
	resp, _ = http.Get(ts.URL + "/")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte("rrra search")) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Error("the page is not served")
	}
	var health map[string]any
	if code := getJSON(t, ts.URL+"/healthz", &health); code != 200 || health["status"] != "ok" || health["documents"] != float64(1400) {
		t.Errorf("healthz: %v", health)
	}
	resp, _ = http.Get(ts.URL + "/metrics")
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`rrra_requests_total{path="/search",code="200"} 20`, `rrra_requests_total{path="/search",code="400"} 13`,
		`rrra_requests_total{path="/search",code="503"} 1`, `rrra_requests_total{path="other",code="404"} 1`, "rrra_documents 1400", "rrra_queries_total 21", `rrra_requests_total{path="/search",code="405"} 1`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}

// chromium returns the path of Debian's chromium, skipping the test where
// it is not installed unless RRRA_REQUIRE_CHROMIUM is set (CI sets it).
func chromium(t *testing.T) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("RRRA_REQUIRE_CHROMIUM") != "" {
			t.Fatal("chromium is required (RRRA_REQUIRE_CHROMIUM is set) and not installed")
		}
		t.Skip("chromium is not installed (Debian: apt-get install chromium)")
	}
	return browser
}

// chromiumFlags returns the flags every browser test starts Chromium with
// (headless, no sandbox, GPU, first-run or background traffic, a fresh
// profile), followed by more.
func chromiumFlags(t *testing.T, more ...string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, more...)
}

// TestServePageInChromium loads the search page in headless Chromium with
// a query in its address (the page fills the form and submits it on load),
// lets its script fetch and render the results, and checks the rendered
// rows against the API's answer, with and without reranking. It is
// skipped where Chromium is not installed, unless RRRA_REQUIRE_CHROMIUM is
// set (CI sets it).
func TestServePageInChromium(t *testing.T) {
	requireE2E(t)
	browser := chromium(t)
	o := serveOptions{maxK: 50, maxQuery: 200, maxBatch: 4, maxInflight: 8, timeout: 10 * time.Second, lambda: 0.25, rerankK: 100}
	_, ts := testServer(t, o)
	const q = "boundary+layer+transition+on+a+flat+plate"
	// The demo's model has a learned fusion: a link without rerank or
	// hybrid ranks hybrid, as the API does by default.
	for _, mode := range []struct{ params, status string }{
		{"", "hybrid: BM25 and the bi-encoder, learned fusion"},
		{"&rerank=1", "reranked by the adapter"},
		{"&rerank=0", "bi-encoder order"},
	} {
		var api libserver.Result
		if code := getJSON(t, ts.URL+"/search?k=5"+mode.params+"&q="+q, &api); code != 200 {
			t.Fatalf("API: %d", code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a hung browser, not a speed limit
		cmd := exec.CommandContext(ctx, browser, chromiumFlags(t, "--virtual-time-budget=20000", "--dump-dom",
			ts.URL+"/?k=5"+mode.params+"&q="+q)...)
		dom, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		page := string(dom)
		if n := strings.Count(page, `<tr class="hit">`); n != 5 {
			t.Fatalf("%q: the page shows %d results, want 5:\n%s", mode.params, n, page)
		}
		// Rows in the API's order, each showing its document id.
		at := 0
		for _, h := range api.Hits {
			i := strings.Index(page[at:], "["+h.ID+"] ")
			if i < 0 {
				t.Fatalf("%q: document %s missing or out of order on the page", mode.params, h.ID)
			}
			at += i
		}
		if !strings.Contains(page, mode.status) {
			t.Errorf("%q: the status line lacks %q", mode.params, mode.status)
		}
	}
}

// TestServePageTyped drives the search page the way a person does, over
// the DevTools protocol: it clicks into the query box, types the query key
// by key, presses Enter, and checks the rendered rows (document, rank
// change, dense score, BM25, fused score, p_rel) against the API, ranked
// hybrid (the default with the demo's fusion); then it ticks the rerank
// box (which unticks hybrid) and searches again, and unticks it for the
// bi-encoder alone. RRRA_SCREENSHOT=FILE also saves a PNG of the page.
func TestServePageTyped(t *testing.T) {
	requireE2E(t)
	browser := chromium(t)
	o := serveOptions{maxK: 50, maxQuery: 200, maxBatch: 4, maxInflight: 8, timeout: 10 * time.Second, lambda: 0.25, rerankK: 100}
	_, ts := testServer(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a hung browser, not a speed limit
	defer cancel()
	d, err := startDevtools(ctx, browser, chromiumFlags(t, "--window-size=1100,900", ts.URL+"/")...)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()

	var session string
	for range 100 {
		var targets struct {
			TargetInfos []struct{ TargetID, Type, URL string } `json:"targetInfos"`
		}
		if err := d.call("", "Target.getTargets", nil, &targets); err != nil {
			t.Fatal(err)
		}
		for _, ti := range targets.TargetInfos {
			if ti.Type == "page" && strings.HasPrefix(ti.URL, ts.URL) {
				var att struct{ SessionID string }
				if err := d.call("", "Target.attachToTarget", map[string]any{"targetId": ti.TargetID, "flatten": true}, &att); err != nil {
					t.Fatal(err)
				}
				session = att.SessionID
			}
		}
		if session != "" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if session == "" {
		t.Fatal("the browser never opened the page")
	}
	d.waitFor(t, session, `document.readyState === "complete" && document.body.dataset.ready === "1"`, 300)

	const query = "boundary layer transition on a flat plate"
	if err := d.eval(session, `document.getElementById("k").value = "5"`, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.click(session, "#q"); err != nil {
		t.Fatal(err)
	}
	for _, r := range query {
		if err := d.key(session, string(r)); err != nil {
			t.Fatal(err)
		}
	}
	var typed string
	if err := d.eval(session, `document.getElementById("q").value`, &typed); err != nil {
		t.Fatal(err)
	}
	if typed != query {
		t.Fatalf("the query box holds %q after typing %q", typed, query)
	}
	for i, mode := range []struct{ params, status string }{
		{"hybrid=1&rerank=0", "hybrid: BM25 and the bi-encoder, learned fusion"},
		{"hybrid=0&rerank=1", "reranked by the adapter"},
		{"hybrid=0&rerank=0", "bi-encoder order"},
	} {
		rerank := mode.params
		if i > 0 {
			// Tick "rerank with the adapter" (hybrid goes off), then untick
			// it; back to the query box.
			if err := d.click(session, "#rerank"); err != nil {
				t.Fatal(err)
			}
			if err := d.click(session, "#q"); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.key(session, "Enter"); err != nil {
			t.Fatal(err)
		}
		want := mode.status
		d.waitFor(t, session, fmt.Sprintf(`document.getElementById("status").textContent.endsWith(%q)`, want), 300)
		var rows [][]string
		if err := d.eval(session, `[...document.querySelectorAll("tr.hit")].map(tr => [...tr.querySelectorAll("td")].map(td => td.textContent))`, &rows); err != nil {
			t.Fatal(err)
		}
		var api libserver.Result
		if code := getJSON(t, ts.URL+"/search?k=5&"+mode.params+"&q="+url.QueryEscape(query), &api); code != 200 {
			t.Fatalf("API: %d", code)
		}
		if len(rows) != len(api.Hits) || len(rows) != 5 {
			t.Fatalf("%s: the page shows %d rows, the API %d, want 5", rerank, len(rows), len(api.Hits))
		}
		for i, h := range api.Hits {
			row := rows[i] // rank, change, document, dense, BM25, fused, p_rel
			if len(row) != 7 || row[0] != strconv.Itoa(h.Rank) || !strings.Contains(row[2], "["+h.ID+"] ") {
				t.Fatalf("%s row %d = %q, want rank %d, document %s", rerank, i, row, h.Rank, h.ID)
			}
			moved := h.RankBefore - h.Rank
			change := map[bool]string{true: "–"}[moved == 0]
			if moved > 0 {
				change = "▲" + strconv.Itoa(moved)
			} else if moved < 0 {
				change = "▼" + strconv.Itoa(-moved)
			}
			if h.RankBefore == 0 {
				change = "new"
			}
			if row[1] != change {
				t.Errorf("%s row %d: rank change %q, want %q", rerank, i, row[1], change)
			}
			near := func(text string, v float32) bool {
				f, err := strconv.ParseFloat(text, 64)
				return err == nil && math.Abs(f-float64(v)) <= 0.0005+1e-6
			}
			parse := func(text string) float64 {
				f, err := strconv.ParseFloat(text, 64)
				if err != nil {
					return math.NaN()
				}
				return f
			}
			if !near(row[3], h.Score) {
				t.Errorf("%s row %d: score %q, API %g", rerank, i, row[3], h.Score)
			}
			if (h.PRel == nil) != (row[6] == "—") || (h.PRel != nil && !near(row[6], *h.PRel)) {
				t.Errorf("%s row %d: p_rel %q, API %v", rerank, i, row[6], h.PRel)
			}
			if (h.Fused == nil) != (row[5] == "—") || (h.Fused != nil && !near(row[5], *h.Fused)) {
				t.Errorf("%s row %d: fused %q, API %v", rerank, i, row[5], h.Fused)
			}
			bm, _, _ := strings.Cut(row[4], " (")
			if (h.BM25 == nil) != (row[4] == "—") || (h.BM25 != nil && !(math.Abs(parse(bm)-float64(*h.BM25)) <= 0.005+1e-6)) {
				t.Errorf("%s row %d: BM25 %q, API %v", rerank, i, row[4], h.BM25)
			}
		}
		if path := os.Getenv("RRRA_SCREENSHOT"); path != "" && i == 0 {
			var shot struct{ Data []byte }
			if err := d.call(session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestServeLoad puts 2,000 requests at concurrency 64 (half reranked) on
// the server through the bounded load generator and requires every answer
// to be whole and correct in form; bench/load.sh runs the 10,000-request
// version against the binary and reports latency and memory.
func TestServeLoad(t *testing.T) {
	requireE2E(t)
	o := serveOptions{maxK: 50, maxQuery: 2000, maxBatch: 4, maxInflight: 64, timeout: 30 * time.Second, lambda: 0.25, rerankK: 100,
		batchQueries: 32, batchWait: 2 * time.Millisecond}
	s, ts := testServer(t, o)
	var queries []string
	for _, q := range s.d.Queries.List {
		queries = append(queries, q.Text)
	}
	rep, err := load.Run(context.Background(), load.Config{URL: ts.URL, Queries: queries, Requests: 2000, Concurrency: 64, K: 10, RerankEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ErrorCount() != 0 || rep.OK != 2000 {
		t.Fatalf("%d of 2000 requests failed: %v; first: %s", rep.ErrorCount(), rep.Errors, rep.FirstError)
	}
	t.Logf("2000 requests at concurrency 64: p50 %.1f ms, p99 %.1f ms, %.0f req/s", rep.P50, rep.P99, rep.PerSecond)
}

// serveMiniModel is the committed random mini model (64 dimensions,
// max_position_embeddings 512, no adapters): serve starts on it in
// seconds.
var serveMiniModel = filepath.Join("..", "..", "retrieval", "testdata", "mini-model")

// serveStartDeadline bounds how long a start-up that must fail may run
// before the test gives up on it (a server that started instead would
// never return): a hung test's limit, not a speed requirement.
const serveStartDeadline = 2 * time.Minute

// serveMustFail runs rrra serve with args, which must fail at start-up,
// and returns its exit code and stderr; a serve still running after
// serveStartDeadline fails the test.
func serveMustFail(t *testing.T, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, _, stderr := cli(append([]string{"serve"}, args...)...)
		done <- result{code, stderr}
	}()
	select {
	case r := <-done:
		return r.code, r.stderr
	case <-time.After(serveStartDeadline):
		t.Fatalf("rrra serve %q was still running after %v: it should have failed at start-up", args, serveStartDeadline)
		return 0, ""
	}
}

// busyAddr returns a loopback address that a listener of the test holds.
func busyAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// loadedNothing reports whether serve's stderr shows that it read no
// corpus (the data loader reports the rows it kept).
func loadedNothing(stderr string) bool { return !strings.Contains(stderr, "rows kept") }

// TestServeFlagDomains runs serve with every numeric flag outside its
// domain (negative, zero where zero means nothing, NaN and infinities,
// absurdly large): each must exit 1 with a message naming the flag,
// before reading anything. The address is held by the test, so that a
// value let through fails on --addr instead of serving.
func TestServeFlagDomains(t *testing.T) {
	addr := busyAddr(t)
	for _, c := range []struct{ flag, value string }{
		{"max-k", "0"}, {"max-k", "-1"}, {"max-k", "2000000"},
		{"max-query", "0"}, {"max-query", "-5"}, {"max-query", "2097152"},
		{"max-batch", "0"}, {"max-batch", "-1"}, {"max-batch", "131072"},
		{"max-inflight", "0"}, {"max-inflight", "-1"}, {"max-inflight", "131072"},
		{"timeout", "0s"}, {"timeout", "-1s"}, {"timeout", "2h"},
		{"rerank", "-1"}, {"rerank", "NaN"}, {"rerank", "Inf"}, {"rerank", "-Inf"}, {"rerank", "1e7"},
		{"rerank-k", "0"}, {"rerank-k", "-5"}, {"rerank-k", "2097152"},
		{"batch-queries", "0"}, {"batch-queries", "-1"}, {"batch-queries", "100000"},
		{"batch-wait", "-1ms"}, {"batch-wait", "1h"},
		{"queue-len", "-1"}, {"queue-len", "10000000000"},
		{"query-len", "-1"}, {"query-len", "1"}, {"query-len", "2"}, {"query-len", "100000"},
		{"doc-len", "-1"}, {"doc-len", "2"}, {"doc-len", "100000"},
	} {
		t.Run(c.flag+"="+c.value, func(t *testing.T) {
			code, stderr := serveMustFail(t, "--model", serveMiniModel, "--addr", addr, "--"+c.flag, c.value)
			if code != 1 || !strings.Contains(stderr, "--"+c.flag+" ") || !loadedNothing(stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming --%s, before reading anything", code, stderr, c.flag)
			}
		})
	}
}

// TestServeBusyAddr holds an address and requires serve on it to exit 1
// naming --addr and the address, before it reads the model or the
// corpus.
func TestServeBusyAddr(t *testing.T) {
	addr := busyAddr(t)
	code, stderr := serveMustFail(t, "--model", serveMiniModel, "--addr", addr)
	if code != 1 || !strings.Contains(stderr, "--addr "+addr) || !loadedNothing(stderr) {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 naming --addr %s, before reading anything", code, stderr, addr)
	}
}

// TestServeLengthsBeyondModel asks for queries or documents longer than
// the model's positions: serve must exit 1 naming the flag and the
// model's limit, before it reads the corpus.
func TestServeLengthsBeyondModel(t *testing.T) {
	for _, flag := range []string{"query-len", "doc-len"} {
		t.Run(flag, func(t *testing.T) {
			code, stderr := serveMustFail(t, "--model", serveMiniModel, "--addr", "127.0.0.1:0", "--"+flag, "600")
			if code != 1 || !strings.Contains(stderr, "--"+flag+" 600") || !strings.Contains(stderr, "max_position_embeddings 512") || !loadedNothing(stderr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 naming --%s 600 and max_position_embeddings 512, before reading the corpus", code, stderr, flag)
			}
		})
	}
}

// TestServeAdapterDimMismatch puts adapters of 32 dimensions in a copy of
// the 64-dimensional mini model: serve must exit 1 naming the adapter
// file and both dimensions, before it reads the corpus or encodes it.
func TestServeAdapterDimMismatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(serveMiniModel)); err != nil {
		t.Fatal(err)
	}
	a, err := adapter.New(adapter.DefaultConfig(32), 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, adapter.File)
	if err := adapter.Save(path, []*adapter.Adapter{a}); err != nil {
		t.Fatal(err)
	}
	code, stderr := serveMustFail(t, "--model", dir, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, "dimension 32") || !strings.Contains(stderr, "dimension 64") || !loadedNothing(stderr) {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 naming %s and dimensions 32 and 64, before reading the corpus", code, stderr, path)
	}
}

// TestServeMiniModel starts serve's server on the mini model (no
// adapters) with its lengths set by flag, and checks that it answers a
// search and /healthz; a query longer than the model reads is cut, not
// failed.
func TestServeMiniModel(t *testing.T) {
	fs := newFlags("serve", "", io.Discard)
	df := addDataFlags(fs, "cranfield")
	o := serveOptions{maxK: 50, maxQuery: 4000, maxBatch: 4, maxInflight: 4, timeout: time.Minute, lambda: 0.25, rerankK: 100, batchQueries: 8}
	s, err := newServer(df, serveMiniModel, "", 512, 64, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.enc.QueryMaxLen != 512 || s.enc.DocMaxLen != 64 {
		t.Fatalf("lengths %d and %d, want the flags' 512 and 64", s.enc.QueryMaxLen, s.enc.DocMaxLen)
	}
	ts := httptest.NewServer(s.handler())
	t.Cleanup(ts.Close)
	long := strings.TrimSpace(strings.Repeat("a ", 1500)) // 1,500 tokens: cut to 512
	for _, q := range []string{"boundary layer", long, "heat transfer"} {
		var r libserver.Result
		if code := getJSON(t, ts.URL+"/search?k=3&q="+url.QueryEscape(q), &r); code != 200 || len(r.Hits) != 3 {
			t.Fatalf("search %.20q: %d %+v, want 200 with 3 hits", q, code, r)
		}
	}
	var health map[string]any
	if code := getJSON(t, ts.URL+"/healthz", &health); code != 200 || health["status"] != "ok" {
		t.Fatalf("/healthz: %d %v", code, health)
	}
}

// TestServeIVF serves Cranfield from an IVF-SQ8 index built in two
// shards (rrra index train, add --shard, merge): probed in full and
// re-scored, its answers are the exact index's, hit for hit; at the
// default nprobe it answers every query with k hits.
func TestServeIVF(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	common := []string{"--data", "cranfield", "--model", serveMiniModel, "--doc-len", "64"}
	mustRun(t, append([]string{"index", "train", "--out", p("q.ivf"), "--nlist", "12", "--sq8", "--keep-vectors"}, common...)...)
	for i := range 2 {
		mustRun(t, append([]string{"index", "add", "--quantizer", p("q.ivf"), "--shard", fmt.Sprintf("%d/2", i), "--out", p(fmt.Sprintf("p%d.ivf", i))}, common...)...)
	}
	mustRun(t, "index", "merge", "--out", p("x.ivf"), "--in", p("p1.ivf"), "--in", p("p0.ivf"))
	mustRun(t, append([]string{"index", "--out", p("x.idx")}, common...)...)
	serve := func(path string, ivf *ivfFlags) *httptest.Server {
		fs := newFlags("serve", "", io.Discard)
		df := addDataFlags(fs, "cranfield")
		o := serveOptions{maxK: 50, maxQuery: 4000, maxBatch: 4, maxInflight: 4, timeout: time.Minute, lambda: 0.25, rerankK: 100, batchQueries: 8, ivf: ivf}
		s, err := newServer(df, serveMiniModel, path, 32, 64, o, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.handler())
		t.Cleanup(func() { ts.Close(); s.Close() })
		return ts
	}
	exact := serve(p("x.idx"), nil)
	full := serve(p("x.ivf"), &ivfFlags{nprobe: 12, rescore: 1400})
	def := serve(p("x.ivf"), nil)
	for _, q := range []string{"boundary layer transition", "heat transfer to a cylinder", "supersonic flow past a wedge"} {
		var a, b, c libserver.Result
		u := "/search?k=10&rerank=0&q=" + url.QueryEscape(q)
		if getJSON(t, exact.URL+u, &a) != 200 || getJSON(t, full.URL+u, &b) != 200 || getJSON(t, def.URL+u, &c) != 200 {
			t.Fatalf("%q: a search failed", q)
		}
		if len(a.Hits) != 10 || len(b.Hits) != 10 || len(c.Hits) != 10 {
			t.Fatalf("%q: %d, %d and %d hits, want 10", q, len(a.Hits), len(b.Hits), len(c.Hits))
		}
		for i := range a.Hits {
			if a.Hits[i].ID != b.Hits[i].ID || a.Hits[i].Score != b.Hits[i].Score {
				t.Errorf("%q: hit %d: exact %+v, IVF probed in full %+v", q, i, a.Hits[i], b.Hits[i])
			}
		}
	}
}
