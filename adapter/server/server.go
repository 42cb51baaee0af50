// Package server is rrra's HTTP search service: a bi-encoder's exact
// search over one corpus, reranked by RRRA adapters when the model has
// them, or ranked hybrid with BM25 by a learned fusion when it has one
// (Options.Hybrid), as a JSON API (GET and POST /search, /healthz, Prometheus
// /metrics) and a search page. `rrra serve` runs it; a Go program can
// mount its Handler on a mux of its own.
//
// Searches go through a dynamic batcher: each request's queries join a
// bounded queue, and one goroutine takes up to Options.BatchQueries of
// them (waiting at most Options.BatchWait after the first for more),
// encodes them in one call, scores them against the index as one
// multi-query product, reranks each, and hands every request its results.
// That goroutine is the only user of the encoder and the reranker, which
// reuse scratch memory and are not safe for concurrent use. Close stops it.
//
// What a request can cost the server is bounded: a POST's body (at most
// MaxBodyBytes) is read whole before the request takes one of the
// Options.MaxInflight slots, which cover only the encoding and search, so
// a client that sends its body slowly holds a connection, never a slot.
// A failure (an error or a panic in the model) ends with the requests of
// the batch it happened in, answered 500 with a JSON error; a batch that
// fails is answered again one request at a time, so that only the
// requests whose own queries fail get the error. /healthz answers 503
// while searches fail.
package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
)

//go:embed web/index.html
var indexHTML []byte

// New returns a server of corpus d, searched with enc over ix (ix holds
// d's documents in corpus order, encoded by enc's model) and reranked
// by rr (nil: no reranking). It refuses limits below 1, an encoder whose
// query length its model cannot read, and an index or reranker that does
// not fit the model and the corpus.
func New(d *beir.Dataset, enc *retrieval.Encoder, ix index.Index, rr *adapter.Reranker, o Options) (*Server, error) {
	if o.MaxK < 1 || o.MaxQuery < 1 || o.MaxBatch < 1 || o.MaxInflight < 1 || o.RerankK < 1 || o.Timeout <= 0 {
		return nil, fmt.Errorf("server: limits %+v: every one must be positive", o)
	}
	// A query is cut to QueryMaxLen tokens; beyond the query tower's
	// positions every long query would fail in the model.
	if n, lim := enc.QueryMaxLen, enc.Bi.Query.Config.MaxPositionEmbeddings; n < 3 || n > lim {
		return nil, fmt.Errorf("server: the encoder's query length %d: want 3 (room for [CLS], a token and [SEP]) to the model's max_position_embeddings %d", n, lim)
	}
	if ix.Dim() != enc.Dim() || ix.Len() != d.Corpus.Len() {
		return nil, fmt.Errorf("server: an index of %d vectors of dimension %d for a corpus of %d documents and a model of dimension %d",
			ix.Len(), ix.Dim(), d.Corpus.Len(), enc.Dim())
	}
	if h := o.Hybrid; h != nil {
		switch {
		case h.Index != ix:
			return nil, fmt.Errorf("server: the hybrid ranker searches another index than the server's")
		case h.BM25 == nil || h.BM25.Len() != d.Corpus.Len():
			return nil, fmt.Errorf("server: the hybrid ranker needs a BM25 index of the corpus's %d documents", d.Corpus.Len())
		case h.Depth() < o.MaxK:
			return nil, fmt.Errorf("server: the hybrid ranker's depth %d is below the most results a request asks, %d", h.Depth(), o.MaxK)
		}
	}
	if rr != nil {
		if err := rr.Check(ix); err != nil {
			return nil, err
		}
		if k := rr.Config().K; k < max(o.MaxK, o.RerankK) {
			return nil, fmt.Errorf("server: the reranker's depth %d is below the deepest a request reranks, %d", k, max(o.MaxK, o.RerankK))
		}
	}
	if o.BatchQueries < 0 || o.BatchWait < 0 || o.QueueLen < 0 {
		return nil, fmt.Errorf("server: batching %d queries, wait %v, queue %d: none may be negative", o.BatchQueries, o.BatchWait, o.QueueLen)
	}
	if o.BatchQueries == 0 {
		o.BatchQueries = DefaultBatchQueries
	}
	if o.QueueLen == 0 {
		o.QueueLen = o.MaxInflight
	}
	if o.BatchQueries > MaxBatchQueries || o.BatchWait > MaxBatchWait || o.QueueLen > MaxQueueLen {
		return nil, fmt.Errorf("server: batching %d queries, wait %v, queue %d: at most %d, %v and %d (the queue defaults to MaxInflight)",
			o.BatchQueries, o.BatchWait, o.QueueLen, MaxBatchQueries, MaxBatchWait, MaxQueueLen)
	}
	if o.ErrorLog == nil {
		o.ErrorLog = log.Default()
	}
	s := &Server{o: o, d: d, enc: enc, ix: ix, rr: rr, slots: make(chan struct{}, o.MaxInflight),
		queue: make(chan *job, o.QueueLen), quit: make(chan struct{}), stopped: make(chan struct{}),
		m: serveMetrics{requests: map[string]int64{}, seconds: map[string]float64{},
			batchSize: newHistogram(batchSizeBuckets), queueWait: newHistogram(queueWaitBuckets)}}
	s.encode = func(texts []string) ([]float32, error) { return enc.Queries(texts, nil) }
	go s.batcher()
	return s, nil
}

// DefaultBatchQueries is the most queries encoded together when
// Options.BatchQueries is 0.
const DefaultBatchQueries = 32

// The largest batching options New accepts: a batch beyond MaxBatchQueries
// queries, a wait beyond MaxBatchWait (requests would sit idle for it) or
// a queue beyond MaxQueueLen requests (allocated up front) is a mistake,
// not a setting.
const (
	MaxBatchQueries = 4096
	MaxBatchWait    = time.Second
	MaxQueueLen     = 1 << 20
)

// MaxBodyBytes is the largest POST /search body: a longer one is answered
// 400 without being read further.
const MaxBodyBytes = 1 << 20

// ProbeQuery is the query Probe and /healthz search for.
const ProbeQuery = "health check"

// Errors a search can end with besides the model's own; the HTTP API
// answers both with 503 (and a timeout too), the model's errors with 500.
var (
	// ErrQueueFull: Options.QueueLen requests were already waiting.
	ErrQueueFull = errors.New("the search queue is full")
	// ErrClosed: the server was closed.
	ErrClosed = errors.New("the server is shut down")
)

// Options are a Server's limits, reranking depth and batcher. The limits
// and RerankK must be positive; the batcher's fields may be zero (their
// defaults).
type Options struct {
	MaxK        int           // most results per query
	MaxQuery    int           // longest query in bytes
	MaxBatch    int           // most queries per POST
	MaxInflight int           // most requests in flight (503 beyond)
	Timeout     time.Duration // per request
	// RerankK is the reranking depth: a request reranks the bi-encoder's
	// top max(k, RerankK).
	RerankK int

	// Dynamic batching (zero values take the defaults). BatchQueries is
	// the most queries encoded together (0: DefaultBatchQueries; 1: one
	// request at a time, no batching; a POST with more queries is
	// encoded whole, alone). BatchWait is how long the batcher waits,
	// after a batch's first request, for more to fill it (0: it takes only
	// what is already queued); it waits only when the batch before held
	// more than one query, so that a lone client pays no wait. QueueLen is the most requests waiting for
	// the batcher (0: MaxInflight); a search beyond it fails with
	// ErrQueueFull (503).
	BatchQueries int
	BatchWait    time.Duration
	QueueLen     int

	// Hybrid, when set, ranks hybrid with BM25 (Mode Hybrid), and
	// requests do so unless they ask otherwise: its Index must be the
	// server's, its BM25 index over the same corpus, its Depth at least
	// MaxK. Its Fusion nil, it fuses by reciprocal rank fusion.
	Hybrid *adapter.HybridRanker

	// ErrorLog receives the failures the API answers 500: a batch's
	// error, a panic with its stack (nil: the log package's standard
	// logger).
	ErrorLog *log.Logger
}

// A Server answers searches over one corpus with one model, and reranks
// with its adapters when it has them.
type Server struct {
	o     Options
	d     *beir.Dataset
	ix    index.Index
	enc   *retrieval.Encoder
	rr    *adapter.Reranker // nil without adapters; used by the batcher alone
	slots chan struct{}     // bounds requests in flight
	m     serveMetrics

	queue     chan *job     // requests waiting for the batcher
	quit      chan struct{} // closed by Close
	stopped   chan struct{} // closed when the batcher has returned
	closeOnce sync.Once
	hold      func() // tests: called at the start of each batch (nil: nothing)

	// encode is the batcher's way to the encoder (enc.Queries; tests put
	// a failing one in its place before the first search).
	encode func(texts []string) ([]float32, error)
	// last is how the most recent search the batcher ran ended (nil:
	// none has run yet), for /healthz.
	last atomic.Pointer[outcome]
}

// An outcome is how a search through the model ended: err nil when it
// gave results.
type outcome struct{ err error }

// A job is one Search call's queries on their way through the batcher.
type job struct {
	ctx      context.Context
	queries  []string
	k        int
	mode     Mode
	enqueued time.Time
	probe    bool           // Probe's: not counted as queries answered
	done     chan jobResult // buffered: the batcher never blocks on it
}

type jobResult struct {
	res []Result
	err error
}

// serveMetrics are the counters /metrics reports.
type serveMetrics struct {
	mu       sync.Mutex
	requests map[string]int64 // "path code" → count
	seconds  map[string]float64
	inflight atomic.Int64
	queries  atomic.Int64
	// batchSize counts queries per encoded batch; queueWait the seconds
	// from a request joining the queue to its batch starting.
	batchSize, queueWait *histogram
}

// A Mode is how a search ranks.
type Mode string

// The modes: the bi-encoder alone, reranked by the adapters, or hybrid
// with BM25 (Options.Hybrid).
const (
	Dense  Mode = "dense"
	Rerank Mode = "reranked"
	Hybrid Mode = "hybrid"
)

// A Hit is one result of a search.
type Hit struct {
	Rank int `json:"rank"`
	// RankBefore is its rank by the bi-encoder alone (hybrid: 0 when it
	// is not in the bi-encoder's top Options.Hybrid.Depth()).
	RankBefore int      `json:"rank_before"`
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Text       string   `json:"text"`
	Score      float32  `json:"score"`           // the bi-encoder's score
	PRel       *float32 `json:"p_rel,omitempty"` // the adapters' p_rel, when reranked
	// Hybrid: BM25's score, its rank in BM25's top Depth() (0: outside
	// it), and the fused score the hits are ranked by.
	BM25     *float32 `json:"bm25,omitempty"`
	BM25Rank *int     `json:"bm25_rank,omitempty"`
	Fused    *float32 `json:"fused,omitempty"`
}

// A Result is the answer to one query.
type Result struct {
	Query    string  `json:"query"`
	Mode     Mode    `json:"mode"`
	Reranked bool    `json:"reranked"` // Mode == Rerank
	Millis   float64 `json:"ms"`
	Hits     []Hit   `json:"hits"`
}

// Handler routes the API (GET and POST /search, /healthz, /metrics)
// and the search page (/), counting every request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET /search", s.getSearch)
	mux.HandleFunc("POST /search", s.postSearch)
	h := s.recovering(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rw, r)
		path := r.URL.Path
		if path != "/" && path != "/search" && path != "/healthz" && path != "/metrics" {
			path = "other" // no unbounded label values from clients
		}
		s.m.mu.Lock()
		s.m.requests[fmt.Sprintf("%s %d", path, rw.code)]++
		s.m.seconds[path] += time.Since(began).Seconds()
		s.m.mu.Unlock()
	})
}

// recovering returns h answering a panic (other than
// http.ErrAbortHandler, which aborts the response on purpose) with 500 and
// a JSON error when nothing was written yet, and logging it with its
// stack, instead of dropping the connection.
func (s *Server) recovering(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw, ok := w.(*statusWriter)
		if !ok {
			rw = &statusWriter{ResponseWriter: w, code: http.StatusOK}
		}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.o.ErrorLog.Printf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			if !rw.wrote {
				httpError(rw, http.StatusInternalServerError, "internal error: %v", p)
			}
		}()
		h.ServeHTTP(rw, r)
	})
}

// statusWriter records the status code of a response, and whether its
// header was written.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.code, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeJSON answers code with v in JSON, or 500 with a JSON error when v
// cannot be encoded (a NaN score, say): encoded whole before anything is
// written, an answer is never cut short.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Reset()
		enc.Encode(map[string]string{"error": fmt.Sprintf("internal error: encoding the answer: %v", err)})
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// search answers a checked request's queries: it takes a slot for the
// encoding and search alone (the request is read whole by now, and the
// answer is written after the slot is given back) and answers 503 when
// every slot is taken or the search was refused or timed out, 500 when
// it failed. ok is false when it has answered.
func (s *Server) search(w http.ResponseWriter, r *http.Request, queries []string, k int, mode Mode) (res []Result, ok bool) {
	release, ok := s.Reserve()
	if !ok {
		httpError(w, http.StatusServiceUnavailable, "too many requests in flight (%d)", s.o.MaxInflight)
		return nil, false
	}
	res, err := s.Search(r.Context(), queries, k, mode)
	release()
	if err != nil {
		httpError(w, searchStatus(err), "%v", err)
		return nil, false
	}
	return res, true
}

// searchStatus is the HTTP status of a failed Search: 503 when it was
// refused (the queue full, the server closed) or gave up (a timeout, the
// client gone), 500 when the search itself failed.
func searchStatus(err error) int {
	if errors.Is(err, ErrQueueFull) || errors.Is(err, ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) release() {
	s.m.inflight.Add(-1)
	<-s.slots
}

// params checks k, rerank and hybrid from a request and returns k and
// the mode: by default hybrid when the server has a hybrid ranker, else
// reranked when it has adapters, else dense; rerank=1 or hybrid=0 asks
// for the adapters' reranking (dense without adapters), rerank=0 and
// hybrid=0 for the bi-encoder alone. Asking for both is refused.
func (s *Server) params(kStr, rerankStr, hybridStr string) (int, Mode, error) {
	k := 10
	if kStr != "" {
		var err error
		if k, err = strconv.Atoi(kStr); err != nil || k < 1 || k > s.o.MaxK {
			return 0, "", fmt.Errorf("k=%q: want an integer from 1 to %d", kStr, s.o.MaxK)
		}
	}
	flag := func(name, v string) (set, on bool, err error) {
		if v == "" {
			return false, false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, false, fmt.Errorf("%s=%q: want true or false (1 or 0)", name, v)
		}
		return true, b, nil
	}
	rSet, rOn, err := flag("rerank", rerankStr)
	if err != nil {
		return 0, "", err
	}
	hSet, hOn, err := flag("hybrid", hybridStr)
	if err != nil {
		return 0, "", err
	}
	if rOn && hOn {
		return 0, "", errors.New("rerank and hybrid: ask for one of them")
	}
	switch {
	case hOn || (!hSet && !rSet && s.o.Hybrid != nil):
		if s.o.Hybrid != nil {
			return k, Hybrid, nil
		}
		return k, Dense, nil
	case rOn || (!rSet && s.rr != nil):
		if s.rr != nil {
			return k, Rerank, nil
		}
	}
	return k, Dense, nil
}

func (s *Server) checkQuery(q string) error {
	switch {
	case strings.TrimSpace(q) == "":
		return errors.New("the query is empty")
	case len(q) > s.o.MaxQuery:
		return fmt.Errorf("the query has %d bytes, more than %d", len(q), s.o.MaxQuery)
	}
	return nil
}

func (s *Server) getSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k, mode, err := s.params(q.Get("k"), q.Get("rerank"), q.Get("hybrid"))
	if err == nil {
		err = s.checkQuery(q.Get("q"))
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if res, ok := s.search(w, r, []string{q.Get("q")}, k, mode); ok {
		writeJSON(w, http.StatusOK, res[0])
	}
}

func (s *Server) postSearch(w http.ResponseWriter, r *http.Request) {
	// The whole body first, with no slot taken: a client sending it
	// slowly holds its connection (until the HTTP server's read timeout),
	// not a slot.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		httpError(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	var req struct {
		Queries []string `json:"queries"`
		K       *int     `json:"k"`
		Rerank  *bool    `json:"rerank"`
		Hybrid  *bool    `json:"hybrid"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	kStr, rStr, hStr := "", "", ""
	if req.K != nil {
		kStr = strconv.Itoa(*req.K)
	}
	if req.Rerank != nil {
		rStr = strconv.FormatBool(*req.Rerank)
	}
	if req.Hybrid != nil {
		hStr = strconv.FormatBool(*req.Hybrid)
	}
	k, mode, err := s.params(kStr, rStr, hStr)
	if err == nil && (len(req.Queries) == 0 || len(req.Queries) > s.o.MaxBatch) {
		err = fmt.Errorf("%d queries: want 1 to %d", len(req.Queries), s.o.MaxBatch)
	}
	for i := 0; err == nil && i < len(req.Queries); i++ {
		if e := s.checkQuery(req.Queries[i]); e != nil {
			err = fmt.Errorf("query %d: %w", i, e)
		}
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if res, ok := s.search(w, r, req.Queries, k, mode); ok {
		writeJSON(w, http.StatusOK, map[string]any{"results": res})
	}
}

// healthz answers 200 while searches work and 503 with the reason while
// they fail. It trusts the most recent search through the model when that
// one gave results (the batcher's state is then sound: an error never
// outlives its batch); when none has run yet or the most recent failed,
// it searches for ProbeQuery itself (Probe), so that one bad query does
// not mark the server down and a recovered one comes back up without
// traffic.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	status := map[string]any{"status": "ok", "documents": s.d.Corpus.Len(), "adapters": s.NumAdapters(), "hybrid": s.hybridName(),
		"precision": s.enc.Bi.Query.Precision().String()}
	if last := s.last.Load(); last == nil || last.err != nil {
		release, ok := s.Reserve()
		if !ok {
			status["status"], status["error"] = "busy", fmt.Sprintf("too many requests in flight (%d)", s.o.MaxInflight)
			writeJSON(w, http.StatusServiceUnavailable, status)
			return
		}
		err := s.Probe(r.Context())
		release()
		if err != nil {
			status["status"], status["error"] = "failing", fmt.Sprintf("a probe search failed: %v", err)
			writeJSON(w, http.StatusServiceUnavailable, status)
			return
		}
	}
	writeJSON(w, http.StatusOK, status)
}

// Search answers queries through the batcher, giving up when ctx is
// done or Options.Timeout has passed: the top k of each (k ≥ 1), ranked
// as mode says (Rerank without adapters and Hybrid without a hybrid
// ranker give Dense; Result.Mode says which ran). Hybrid results are
// those of the hybrid ranker's Rank. The results
// are those of searching each query alone: batching changes when the
// work is done, not its answer (a query's vector may differ from its
// unbatched one in the last bits of float32 rounding; see
// TestBatchEqualsOneAtATime). A Result's Millis is the time from joining
// the queue to the batch's end. It fails with ErrQueueFull when
// Options.QueueLen requests are already waiting and with ErrClosed after
// Close.
func (s *Server) Search(ctx context.Context, queries []string, k int, mode Mode) ([]Result, error) {
	if len(queries) == 0 {
		return []Result{}, nil
	}
	if k < 1 {
		return nil, fmt.Errorf("k=%d: want ≥ 1", k)
	}
	return s.submit(ctx, &job{queries: queries, k: k, mode: s.can(mode)})
}

// can returns mode, or Dense when the server cannot rank that way.
func (s *Server) can(mode Mode) Mode {
	switch {
	case mode == Rerank && s.rr != nil, mode == Hybrid && s.o.Hybrid != nil:
		return mode
	}
	return Dense
}

// DefaultMode is how a request that does not say ranks: Hybrid with a
// hybrid ranker, else Rerank with adapters, else Dense.
func (s *Server) DefaultMode() Mode {
	_, m, _ := s.params("", "", "")
	return m
}

// hybridName says how the server ranks hybrid, for /healthz: "learned
// fusion", "reciprocal rank fusion" or "" (not at all).
func (s *Server) hybridName() string {
	switch {
	case s.o.Hybrid == nil:
		return ""
	case s.o.Hybrid.Fusion == nil:
		return "reciprocal rank fusion"
	}
	return "learned fusion"
}

// Probe searches for ProbeQuery through the batcher, as a request does
// (k 1, reranked when the server has adapters), and returns the error
// that search ends with, if any: whether searches work now. It does not
// count as a query answered; it ranks as a request that does not say
// does (DefaultMode). rrra serve probes once before it accepts
// requests, and /healthz probes when no search has run yet or the most
// recent one failed.
func (s *Server) Probe(ctx context.Context) error {
	_, err := s.submit(ctx, &job{queries: []string{ProbeQuery}, k: 1, mode: s.DefaultMode(), probe: true})
	return err
}

// submit queues j (its queries, k and rerank set) for the batcher and
// waits for its answer, at most Options.Timeout.
func (s *Server) submit(ctx context.Context, j *job) ([]Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	select {
	case <-s.quit:
		return nil, ErrClosed
	default:
	}
	j.ctx, j.enqueued, j.done = ctx, time.Now(), make(chan jobResult, 1)
	select {
	case s.queue <- j:
	default:
		return nil, fmt.Errorf("%w (%d requests waiting)", ErrQueueFull, s.o.QueueLen)
	}
	select {
	case r := <-j.done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("timed out: %w", ctx.Err())
	case <-s.stopped:
		select { // the batcher may have answered just before it stopped
		case r := <-j.done:
			return r.res, r.err
		default:
			return nil, ErrClosed
		}
	}
}

// Close stops the batcher: requests still queued fail with ErrClosed,
// and so does every later Search. It waits for the batch being worked on
// to finish, and returns nil; calling it again does nothing. Close the
// HTTP server first (http.Server.Shutdown) so that no request is cut off.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.quit) })
	<-s.stopped
	return nil
}

// batcher is the goroutine that owns the encoder and the reranker: it
// gathers queued jobs into batches and answers them, until Close.
func (s *Server) batcher() {
	defer close(s.stopped)
	var (
		batch    []*job
		carry    *job // taken from the queue but did not fit the last batch
		lastSize int  // queries in the last batch
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer func() {
		for _, j := range append(batch, carry) {
			if j != nil {
				j.done <- jobResult{err: ErrClosed}
			}
		}
		for {
			select {
			case j := <-s.queue:
				j.done <- jobResult{err: ErrClosed}
			default:
				return
			}
		}
	}()
	for {
		batch = batch[:0]
		select { // Close comes before anything queued
		case <-s.quit:
			return
		default:
		}
		if carry != nil {
			batch, carry = append(batch, carry), nil
		} else {
			select {
			case <-s.quit:
				return
			case j := <-s.queue:
				batch = append(batch, j)
			}
		}
		n := len(batch[0].queries)
		// Wait for more only when the last batch had company: a lone
		// client (concurrency 1) never waits, and under concurrency the
		// queue fills while a batch is worked on, so the next batch has it.
		wait := s.o.BatchWait > 0 && lastSize > 1
		if wait {
			timer.Reset(s.o.BatchWait)
		}
	gather:
		for n < s.o.BatchQueries {
			var j *job
			if wait {
				select {
				case <-s.quit:
					timer.Stop()
					return
				case j = <-s.queue:
				case <-timer.C:
					break gather
				}
			} else {
				select {
				case j = <-s.queue:
				default:
					break gather
				}
			}
			if n+len(j.queries) > s.o.BatchQueries {
				carry = j
				break
			}
			batch = append(batch, j)
			n += len(j.queries)
		}
		timer.Stop()
		lastSize = n
		s.runBatch(batch)
		batch = batch[:0]
	}
}

// runBatch answers the jobs of one batch (those whose callers have not
// given up): one encoding of all their queries, one multi-query search
// as deep as the deepest asks, and each query's own cut and reranking.
// An error or a panic in the model fails the batch instead of the
// server; a failed batch of several jobs is answered again one job at a
// time, so that the error reaches only the jobs it comes from.
func (s *Server) runBatch(batch []*job) {
	if s.hold != nil {
		s.hold()
	}
	began := time.Now()
	var live []*job
	n := 0
	for _, j := range batch {
		s.m.queueWait.observe(began.Sub(j.enqueued).Seconds())
		if j.ctx.Err() != nil {
			j.done <- jobResult{err: fmt.Errorf("timed out: %w", j.ctx.Err())}
			continue
		}
		live = append(live, j)
		n += len(j.queries)
	}
	if len(live) == 0 {
		return
	}
	s.m.batchSize.observe(float64(n))
	if err := s.answer(live, began); err == nil || len(live) == 1 {
		return
	}
	for _, j := range live {
		if j.ctx.Err() != nil {
			j.done <- jobResult{err: fmt.Errorf("timed out: %w", j.ctx.Err())}
			continue
		}
		s.answer([]*job{j}, began)
	}
}

// answer searches for the queries of jobs together and hands each job its
// results, and returns nil; or, when the search fails, records and logs
// the failure and returns it, answering the jobs with it only when they
// are one (runBatch answers several again one at a time).
func (s *Server) answer(jobs []*job, began time.Time) error {
	var texts []string
	depth := 0
	for _, j := range jobs {
		texts = append(texts, j.queries...)
		depth = max(depth, s.depth(j.k, j.mode))
	}
	results, err := s.searchBatch(texts, jobs, depth)
	s.last.Store(&outcome{err: err})
	if err != nil {
		s.o.ErrorLog.Printf("a search of %d queries (%d requests) failed: %v", len(texts), len(jobs), err)
		if len(jobs) == 1 {
			jobs[0].done <- jobResult{err: err}
		}
		return err
	}
	took := float64(time.Since(began).Microseconds()) / 1000
	at := 0
	for _, j := range jobs {
		res := results[at : at+len(j.queries) : at+len(j.queries)]
		at += len(j.queries)
		for i := range res {
			res[i].Millis = float64(began.Sub(j.enqueued).Microseconds())/1000 + took
		}
		if !j.probe {
			s.m.queries.Add(int64(len(res)))
		}
		j.done <- jobResult{res: res}
	}
	return nil
}

// depth is how deep the bi-encoder's list for a query must be: k, the
// reranking depth when it is reranked, the hybrid ranker's when hybrid.
func (s *Server) depth(k int, mode Mode) int {
	switch mode {
	case Rerank:
		return max(k, s.o.RerankK)
	case Hybrid:
		return s.o.Hybrid.Depth()
	}
	return k
}

// searchBatch encodes texts (the queries of jobs, in order) together,
// searches the index for all of them at depth, and makes each query's
// result as its job asks.
func (s *Server) searchBatch(texts []string, jobs []*job, depth int) (out []Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.o.ErrorLog.Printf("panic in a search of %d queries: %v\n%s", len(texts), p, debug.Stack())
			out, err = nil, fmt.Errorf("internal error: %v", p)
		}
	}()
	qv, err := s.encode(texts)
	if err != nil {
		return nil, err
	}
	if dim := s.enc.Dim(); len(qv) != len(texts)*dim {
		return nil, fmt.Errorf("internal error: %d floats of query vectors for %d queries of dimension %d", len(qv), len(texts), dim)
	}
	dim := s.enc.Dim()
	hits := s.ix.Search(qv, len(texts), depth)
	out = make([]Result, 0, len(texts))
	for _, j := range jobs {
		for _, q := range j.queries {
			i := len(out)
			// The top d of the top depth ≥ d is the top d: the index's
			// order is total (score, then document), so cutting here gives
			// what a search at the query's own depth gives.
			h := hits[i][:min(s.depth(j.k, j.mode), len(hits[i]))]
			r, err := s.result(q, qv[i*dim:(i+1)*dim], h, j.k, j.mode)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// result makes one query's answer from its vector qv and the
// bi-encoder's hits (as deep as depth says for mode): reranked by the
// adapters or ranked hybrid when asked, cut to k.
func (s *Server) result(q string, qv []float32, hits []index.Hit, k int, mode Mode) (Result, error) {
	res := Result{Query: q, Mode: mode, Reranked: mode == Rerank}
	hit := func(rank, doc int) Hit {
		d := &s.d.Corpus.Docs[doc]
		return Hit{Rank: rank, ID: d.ID, Title: d.Title, Text: beir.Snippet(d.Text, 400)}
	}
	if mode == Hybrid {
		cs, err := s.o.Hybrid.RankHits(q, qv, hits, k)
		if err != nil {
			return Result{}, err
		}
		for i := range cs {
			c := &cs[i]
			h := hit(i+1, c.Doc)
			h.RankBefore, h.Score, h.BM25, h.BM25Rank, h.Fused = c.DenseRank, c.Dense, &c.BM25, &c.BM25Rank, &c.Score
			res.Hits = append(res.Hits, h)
		}
		return res, nil
	}
	before := make(map[int]int, len(hits))
	score := make(map[int]float32, len(hits))
	for i, h := range hits {
		before[h.Doc], score[h.Doc] = i+1, h.Score
	}
	var prel []float32 // aligned with the reranked hits
	if mode == Rerank {
		hits, prel = s.rr.Rerank(s.ix, q, qv, hits)
	}
	for i, h := range hits[:min(k, len(hits))] {
		hj := hit(i+1, h.Doc)
		hj.RankBefore, hj.Score = before[h.Doc], score[h.Doc]
		if prel != nil {
			hj.PRel = &prel[i]
		}
		res.Hits = append(res.Hits, hj)
	}
	return res, nil
}

// metrics writes the counters in Prometheus's text format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	s.m.mu.Lock()
	fmt.Fprintln(w, "# HELP rrra_requests_total HTTP requests by path and status code.")
	fmt.Fprintln(w, "# TYPE rrra_requests_total counter")
	for _, k := range slices.Sorted(maps.Keys(s.m.requests)) {
		path, code, _ := strings.Cut(k, " ")
		fmt.Fprintf(w, "rrra_requests_total{path=%q,code=%q} %d\n", path, code, s.m.requests[k])
	}
	fmt.Fprintln(w, "# HELP rrra_request_seconds_total Time spent answering requests, by path.")
	fmt.Fprintln(w, "# TYPE rrra_request_seconds_total counter")
	for _, p := range slices.Sorted(maps.Keys(s.m.seconds)) {
		fmt.Fprintf(w, "rrra_request_seconds_total{path=%q} %g\n", p, s.m.seconds[p])
	}
	s.m.mu.Unlock()
	fmt.Fprintln(w, "# HELP rrra_inflight_requests Requests being answered now.")
	fmt.Fprintln(w, "# TYPE rrra_inflight_requests gauge")
	fmt.Fprintf(w, "rrra_inflight_requests %d\n", s.m.inflight.Load())
	fmt.Fprintln(w, "# HELP rrra_queries_total Queries answered.")
	fmt.Fprintln(w, "# TYPE rrra_queries_total counter")
	fmt.Fprintf(w, "rrra_queries_total %d\n", s.m.queries.Load())
	s.m.batchSize.write(w, "rrra_batch_queries", "Queries encoded together per batch.")
	s.m.queueWait.write(w, "rrra_queue_wait_seconds", "Time from a request joining the batcher's queue to its batch starting.")
	fmt.Fprintln(w, "# HELP rrra_queue_requests Requests waiting for the batcher now.")
	fmt.Fprintln(w, "# TYPE rrra_queue_requests gauge")
	fmt.Fprintf(w, "rrra_queue_requests %d\n", len(s.queue))
	fmt.Fprintln(w, "# HELP rrra_documents Documents in the served corpus.")
	fmt.Fprintln(w, "# TYPE rrra_documents gauge")
	fmt.Fprintf(w, "rrra_documents %d\n", s.d.Corpus.Len())
}

// NumAdapters returns how many adapters rerank (0: none).
func (s *Server) NumAdapters() int {
	if s.rr == nil {
		return 0
	}
	return len(s.rr.Folds())
}

// Reserve takes one of the MaxInflight request slots, as a request does,
// for work of the caller's own that must count against the limit (a
// batch job beside the HTTP traffic, a test of the 503 path); ok is false
// when every slot is taken. Call release once to give the slot back.
func (s *Server) Reserve() (release func(), ok bool) {
	select {
	case s.slots <- struct{}{}:
		s.m.inflight.Add(1)
		return s.release, true
	default:
		return nil, false
	}
}

// Histogram buckets (upper bounds) of /metrics.
var (
	batchSizeBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}
	queueWaitBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5}
)

// A histogram counts observations into fixed buckets, for Prometheus.
type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []int64 // counts[i]: observations ≤ bounds[i] and > bounds[i-1]; the last: above every bound
	sum    float64
	n      int64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]int64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// write writes the histogram in Prometheus's text format: cumulative
// buckets, their sum and count.
func (h *histogram) write(w io.Writer, name, help string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum int64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=%q} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", name, h.n, name, h.sum, name, h.n)
}
