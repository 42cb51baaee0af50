package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
)

// batchFixture is what the batching tests serve: the committed random
// mini model (retrieval/testdata/mini-model) over Cranfield's first 300
// documents, and Cranfield's queries.
type batchFixture struct {
	d       *beir.Dataset
	ix      *index.Flat
	queries []string
}

var (
	fixtureOnce sync.Once
	fixture     batchFixture
	fixtureErr  error
)

func loadFixture(t *testing.T) batchFixture {
	t.Helper()
	fixtureOnce.Do(func() {
		d, err := beir.Read("cranfield", beir.Options{})
		if err != nil {
			fixtureErr = err
			return
		}
		if d.Corpus, err = beir.NewCorpus(d.Corpus.Docs[:300]); err != nil {
			fixtureErr = err
			return
		}
		enc, err := newEncoder()
		if err != nil {
			fixtureErr = err
			return
		}
		ix, err := retrieval.IndexCorpus(enc, retrieval.NewCorpusData(d), nil)
		if err != nil {
			fixtureErr = err
			return
		}
		fixture = batchFixture{d: d, ix: ix}
		for _, q := range d.Queries.List {
			fixture.queries = append(fixture.queries, q.Text)
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func newEncoder() (*retrieval.Encoder, error) {
	return retrieval.LoadEncoder("../../retrieval/testdata/mini-model", retrieval.EncoderOptions{QueryLen: 32, DocLen: 64})
}

// newBatchServer serves the fixture with its own encoder and options o
// (limits filled in), closed at the end of the test.
func newBatchServer(t *testing.T, o Options) *Server {
	t.Helper()
	f := loadFixture(t)
	enc, err := newEncoder()
	if err != nil {
		t.Fatal(err)
	}
	o.MaxK, o.MaxQuery, o.MaxBatch, o.RerankK = 50, 2000, 64, 100
	if o.MaxInflight == 0 {
		o.MaxInflight = 256
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.ErrorLog == nil {
		o.ErrorLog = log.New(t.Output(), "", 0)
	}
	s, err := New(f.d, enc, f.ix, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// checkNoLeak fails the test when a goroutine of this package's server
// (the batcher, or a Search waiting on it) outlives it. The kernels'
// worker pool, started once per process, is not counted.
func checkNoLeak(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		var stacks string
		for range 100 {
			buf := make([]byte, 1<<20)
			stacks = string(buf[:runtime.Stack(buf, true)])
			if !strings.Contains(stacks, "server.(*Server).batcher") && !strings.Contains(stacks, "server.(*Server).Search") {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("a server goroutine outlived the test:\n%s", stacks)
	})
}

// TestBatchEqualsOneAtATime sends the same queries (k 20) to a server
// that answers one query at a time (BatchQueries 1) and, all at once from
// 64 goroutines, to one that batches up to 32 with a 5 ms wait, and
// requires the same documents in the same order for every query, with
// scores equal within 1e-5. Batching pads a query to its batch's longest
// and scores several queries with one SGEMM instead of a row-dot kernel:
// both change the float32 summation order, so a score may differ in its
// last bits (the test logs how many do); the ids and order must not.
func TestBatchEqualsOneAtATime(t *testing.T) {
	checkNoLeak(t)
	f := loadFixture(t)
	queries := f.queries[:96]
	one := newBatchServer(t, Options{BatchQueries: 1})
	batched := newBatchServer(t, Options{BatchQueries: 32, BatchWait: 5 * time.Millisecond})
	const k = 20
	want := make([]Result, len(queries))
	for i, q := range queries {
		r, err := one.Search(context.Background(), []string{q}, k, Dense)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = r[0]
	}
	got := make([]Result, len(queries))
	var wg sync.WaitGroup
	errs := make(chan error, len(queries))
	sem := make(chan struct{}, 64)
	for i, q := range queries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := batched.Search(context.Background(), []string{q}, k, Dense)
			if err != nil {
				errs <- err
				return
			}
			got[i] = r[0]
		}()
	}
	// And the same queries again in POSTs of 8 at once, to the batcher.
	posted := make([][]Result, len(queries)/8)
	for b := range posted {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := batched.Search(context.Background(), queries[b*8:(b+1)*8], k, Dense)
			if err != nil {
				errs <- err
				return
			}
			posted[b] = r
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	differ := 0
	compare := func(how string, i int, g Result) {
		w := want[i]
		if g.Query != w.Query || len(g.Hits) != len(w.Hits) {
			t.Fatalf("%s query %d: %q with %d hits, want %q with %d", how, i, g.Query, len(g.Hits), w.Query, len(w.Hits))
		}
		for r := range w.Hits {
			gh, wh := g.Hits[r], w.Hits[r]
			if gh.ID != wh.ID || gh.Rank != wh.Rank || gh.RankBefore != wh.RankBefore {
				t.Fatalf("%s query %d (%q) rank %d: %s, want %s", how, i, w.Query, r+1, gh.ID, wh.ID)
			}
			if d := math.Abs(float64(gh.Score - wh.Score)); d > 1e-5 {
				t.Fatalf("%s query %d rank %d: score %g, want %g", how, i, r+1, gh.Score, wh.Score)
			} else if d != 0 {
				differ++
			}
		}
	}
	for i := range queries {
		compare("concurrent", i, got[i])
	}
	for b, rs := range posted {
		for j, r := range rs {
			compare("posted", b*8+j, r)
		}
	}
	t.Logf("%d of %d scores differ in the last bits", differ, 2*len(queries)*k)
	if n := sumBuckets(batched, "rrra_batch_queries"); n == 0 {
		t.Error("the batcher recorded no batches")
	}
	var sb strings.Builder
	batched.m.batchSize.write(&sb, "b", "")
	t.Logf("batch sizes:\n%s", sb.String())
}

// sumBuckets returns the count of a histogram of s's /metrics.
func sumBuckets(s *Server, name string) int {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var n int
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+"_count "); ok {
			fmt.Sscan(v, &n)
		}
	}
	return n
}

// holdBatcher makes s's batcher stop at the start of every batch until
// the returned release is called, and returns a channel that receives
// once per batch held. It must be called before s gets its first
// request (the batcher reads the hook only after taking a job).
func holdBatcher(s *Server) (entered <-chan struct{}, release func()) {
	in, gate := make(chan struct{}, 100), make(chan struct{})
	s.hold = func() {
		in <- struct{}{}
		<-gate
	}
	var once sync.Once
	return in, func() { once.Do(func() { close(gate) }) }
}

// TestBatchQueueFull holds the batcher in a batch, fills the queue
// (QueueLen 2) and requires the next request to be answered 503 with a
// JSON error, and the queued ones to be answered once it goes on.
func TestBatchQueueFull(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{BatchQueries: 4, QueueLen: 2})
	entered, release := holdBatcher(s)
	defer release()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	search := func() {
		defer wg.Done()
		_, err := s.Search(context.Background(), []string{"boundary layer"}, 5, Dense)
		errs <- err
	}
	wg.Add(1)
	go search()
	<-entered // the batcher holds the first request
	for range 2 {
		wg.Add(1)
		go search()
	}
	for len(s.queue) < 2 {
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Get(ts.URL + "/search?q=" + url.QueryEscape("shock waves"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct{ Error string }
	if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, "queue is full") {
		t.Fatalf("with the queue full: %d %s, want 503 with a JSON error saying the queue is full", resp.StatusCode, b)
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a queued request: %v", err)
		}
	}
}

// TestBatchTimeout holds the batcher past a request's time limit: the
// request fails with a timeout (503 over HTTP), and the batcher skips it
// and goes on answering.
func TestBatchTimeout(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{BatchQueries: 4, Timeout: 50 * time.Millisecond})
	entered, release := holdBatcher(s)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	done := make(chan error, 1)
	go func() {
		_, err := s.Search(context.Background(), []string{"heat transfer"}, 5, Dense)
		done <- err
	}()
	<-entered
	resp, err := http.Get(ts.URL + "/search?q=flow")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"error":"timed out`) {
		t.Errorf("held past the timeout: %d %s, want 503 timed out", resp.StatusCode, b)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("the held request: %v, want a timeout", err)
	}
	release()
	if r, err := s.Search(context.Background(), []string{"flow"}, 3, Dense); err != nil || len(r[0].Hits) != 3 {
		t.Fatalf("after the timeouts: %v %+v", err, r)
	}
}

// TestBatchClose closes a server with a batch in progress and a request
// queued: the batch is answered, the queued request and every later one
// fail with ErrClosed, Close is idempotent, and no goroutine is left.
func TestBatchClose(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{BatchQueries: 1})
	entered, release := holdBatcher(s)
	first, second := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := s.Search(context.Background(), []string{"flow"}, 3, Dense)
		first <- err
	}()
	<-entered
	go func() {
		_, err := s.Search(context.Background(), []string{"heat"}, 3, Dense)
		second <- err
	}()
	for len(s.queue) < 1 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	time.Sleep(20 * time.Millisecond)
	release()
	<-closed
	if err := <-first; err != nil {
		t.Errorf("the batch in progress at Close: %v", err)
	}
	if err := <-second; !errors.Is(err, ErrClosed) {
		t.Errorf("the request queued at Close: %v, want ErrClosed", err)
	}
	if _, err := s.Search(context.Background(), []string{"flow"}, 3, Dense); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
}

// TestBatchMetrics checks the batcher's histograms in /metrics:
// Prometheus text format, cumulative buckets ending in +Inf, a count per
// batch and per request.
func TestBatchMetrics(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{BatchQueries: 8})
	for _, qs := range [][]string{{"a flow"}, {"b", "c", "d"}} {
		if _, err := s.Search(context.Background(), qs, 2, Dense); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := rec.Body.String()
	for _, want := range []string{
		"# TYPE rrra_batch_queries histogram", `rrra_batch_queries_bucket{le="1"} 1`, `rrra_batch_queries_bucket{le="2"} 1`,
		`rrra_batch_queries_bucket{le="4"} 2`, `rrra_batch_queries_bucket{le="+Inf"} 2`, "rrra_batch_queries_sum 4", "rrra_batch_queries_count 2",
		"# TYPE rrra_queue_wait_seconds histogram", `rrra_queue_wait_seconds_bucket{le="+Inf"} 2`, "rrra_queue_wait_seconds_count 2",
		"rrra_queue_requests 0", "rrra_queries_total 4",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}

// TestBatchOptionsDomain checks that New refuses batching options outside
// their domain, before any work: negative values, and values beyond the
// stated maxima (a queue that would be allocated whole, a wait that would
// hold requests idle), including a queue defaulted from MaxInflight.
func TestBatchOptionsDomain(t *testing.T) {
	f := loadFixture(t)
	enc, err := newEncoder()
	if err != nil {
		t.Fatal(err)
	}
	base := Options{MaxK: 50, MaxQuery: 2000, MaxBatch: 64, RerankK: 100, MaxInflight: 256, Timeout: time.Second}
	for _, tc := range []struct {
		name string
		set  func(o *Options)
	}{
		{"negative batch", func(o *Options) { o.BatchQueries = -1 }},
		{"negative wait", func(o *Options) { o.BatchWait = -time.Millisecond }},
		{"negative queue", func(o *Options) { o.QueueLen = -1 }},
		{"huge batch", func(o *Options) { o.BatchQueries = MaxBatchQueries + 1 }},
		{"huge wait", func(o *Options) { o.BatchWait = time.Hour }},
		{"huge queue", func(o *Options) { o.QueueLen = 1 << 40 }},
		{"huge queue from MaxInflight", func(o *Options) { o.MaxInflight = MaxQueueLen + 1 }},
	} {
		o := base
		tc.set(&o)
		if s, err := New(f.d, enc, f.ix, nil, o); err == nil {
			s.Close()
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
