// Package server is rrra's HTTP search service: a bi-encoder's exact
// search over one corpus, reranked by RRRA adapters when the model has
// them, as a JSON API (GET and POST /search, /healthz, Prometheus
// /metrics) and a search page. `rrra serve` runs it; a Go program can
// mount its Handler on a mux of its own.
package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
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
// by rr (nil: no reranking). It refuses limits below 1 and an index or
// reranker that does not fit the model and the corpus.
func New(d *beir.Dataset, enc *retrieval.Encoder, ix *index.Flat, rr *adapter.Reranker, o Options) (*Server, error) {
	if o.MaxK < 1 || o.MaxQuery < 1 || o.MaxBatch < 1 || o.MaxInflight < 1 || o.RerankK < 1 || o.Timeout <= 0 {
		return nil, fmt.Errorf("server: limits %+v: every one must be positive", o)
	}
	if ix.Dim() != enc.Dim() || ix.Len() != d.Corpus.Len() {
		return nil, fmt.Errorf("server: an index of %d vectors of dimension %d for a corpus of %d documents and a model of dimension %d",
			ix.Len(), ix.Dim(), d.Corpus.Len(), enc.Dim())
	}
	if rr != nil {
		if err := rr.Check(ix); err != nil {
			return nil, err
		}
		if k := rr.Config().K; k < max(o.MaxK, o.RerankK) {
			return nil, fmt.Errorf("server: the reranker's depth %d is below the deepest a request reranks, %d", k, max(o.MaxK, o.RerankK))
		}
	}
	return &Server{o: o, d: d, enc: enc, ix: ix, rr: rr, slots: make(chan struct{}, o.MaxInflight),
		m: serveMetrics{requests: map[string]int64{}, seconds: map[string]float64{}}}, nil
}

// Options are a Server's limits and reranking depth. Every field must be
// positive.
type Options struct {
	MaxK        int           // most results per query
	MaxQuery    int           // longest query in bytes
	MaxBatch    int           // most queries per POST
	MaxInflight int           // most requests in flight (503 beyond)
	Timeout     time.Duration // per request
	// RerankK is the reranking depth: a request reranks the bi-encoder's
	// top max(k, RerankK).
	RerankK int
}

// A Server answers searches over one corpus with one model, and reranks
// with its adapters when it has them.
type Server struct {
	o     Options
	d     *beir.Dataset
	ix    *index.Flat
	enc   *retrieval.Encoder
	rr    *adapter.Reranker // nil without adapters
	mu    sync.Mutex        // the encoder and adapters reuse scratch memory
	slots chan struct{}     // bounds requests in flight
	m     serveMetrics
}

// serveMetrics are the counters /metrics reports.
type serveMetrics struct {
	mu       sync.Mutex
	requests map[string]int64 // "path code" → count
	seconds  map[string]float64
	inflight atomic.Int64
	queries  atomic.Int64
}

// A Hit is one result of a search.
type Hit struct {
	Rank       int      `json:"rank"`
	RankBefore int      `json:"rank_before"` // rank by the bi-encoder alone
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Text       string   `json:"text"`
	Score      float32  `json:"score"`           // the bi-encoder's score
	PRel       *float32 `json:"p_rel,omitempty"` // the adapters' p_rel, when reranked
}

// A Result is the answer to one query.
type Result struct {
	Query    string  `json:"query"`
	Reranked bool    `json:"reranked"`
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
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "documents": s.d.Corpus.Len(), "adapters": s.NumAdapters()})
	})
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET /search", s.getSearch)
	mux.HandleFunc("POST /search", s.postSearch)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(rw, r)
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

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// acquire takes a slot for a request in flight, or answers 503.
func (s *Server) acquire(w http.ResponseWriter) bool {
	select {
	case s.slots <- struct{}{}:
		s.m.inflight.Add(1)
		return true
	default:
		httpError(w, http.StatusServiceUnavailable, "too many requests in flight (%d)", s.o.MaxInflight)
		return false
	}
}

func (s *Server) release() {
	s.m.inflight.Add(-1)
	<-s.slots
}

// params checks k and rerank from a request.
func (s *Server) params(kStr, rerankStr string) (int, bool, error) {
	k := 10
	if kStr != "" {
		var err error
		if k, err = strconv.Atoi(kStr); err != nil || k < 1 || k > s.o.MaxK {
			return 0, false, fmt.Errorf("k=%q: want an integer from 1 to %d", kStr, s.o.MaxK)
		}
	}
	rerank := s.NumAdapters() > 0
	if rerankStr != "" {
		b, err := strconv.ParseBool(rerankStr)
		if err != nil {
			return 0, false, fmt.Errorf("rerank=%q: want true or false (1 or 0)", rerankStr)
		}
		rerank = b && s.NumAdapters() > 0
	}
	return k, rerank, nil
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
	if !s.acquire(w) {
		return
	}
	defer s.release()
	q := r.URL.Query()
	k, rerank, err := s.params(q.Get("k"), q.Get("rerank"))
	if err == nil {
		err = s.checkQuery(q.Get("q"))
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	res, err := s.Search(r.Context(), []string{q.Get("q")}, k, rerank)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, res[0])
}

func (s *Server) postSearch(w http.ResponseWriter, r *http.Request) {
	if !s.acquire(w) {
		return
	}
	defer s.release()
	var req struct {
		Queries []string `json:"queries"`
		K       *int     `json:"k"`
		Rerank  *bool    `json:"rerank"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	kStr, rStr := "", ""
	if req.K != nil {
		kStr = strconv.Itoa(*req.K)
	}
	if req.Rerank != nil {
		rStr = strconv.FormatBool(*req.Rerank)
	}
	k, rerank, err := s.params(kStr, rStr)
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
	res, err := s.Search(r.Context(), req.Queries, k, rerank)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
}

// Search answers queries one after another under the model's lock,
// giving up when ctx is done or Options.Timeout has passed: the top k
// of each (k ≥ 1), reranked when rerank is true and the server has
// adapters.
func (s *Server) Search(ctx context.Context, queries []string, k int, rerank bool) ([]Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	out := make([]Result, 0, len(queries))
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("timed out: %w", err)
		}
		began := time.Now()
		r, err := s.searchOne(q, k, rerank)
		if err != nil {
			return nil, err
		}
		r.Millis = float64(time.Since(began).Microseconds()) / 1000
		out = append(out, r)
		s.m.queries.Add(1)
	}
	return out, nil
}

// searchOne ranks the corpus for one query: the bi-encoder's top
// max(k, rerank-k), reranked by the adapters when asked, cut to k.
func (s *Server) searchOne(q string, k int, rerank bool) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	qv, err := s.enc.Queries([]string{q}, nil)
	if err != nil {
		return Result{}, err
	}
	depth := k
	if rerank {
		depth = max(k, s.o.RerankK)
	}
	hits := s.ix.SearchOne(qv, depth)
	before := make(map[int]int, len(hits))
	score := make(map[int]float32, len(hits))
	for i, h := range hits {
		before[h.Doc], score[h.Doc] = i+1, h.Score
	}
	var rel map[int]float32
	if rerank {
		var p []float32
		hits, p = s.rr.Rerank(s.ix, q, qv, hits)
		rel = make(map[int]float32, len(hits))
		for i, h := range hits {
			rel[h.Doc] = p[i]
		}
	}
	res := Result{Query: q, Reranked: rerank}
	for i, h := range hits[:min(k, len(hits))] {
		doc := &s.d.Corpus.Docs[h.Doc]
		hj := Hit{Rank: i + 1, RankBefore: before[h.Doc], ID: doc.ID, Title: doc.Title, Text: snippet(doc.Text, 400), Score: score[h.Doc]}
		if rel != nil {
			p := rel[h.Doc]
			hj.PRel = &p
		}
		res.Hits = append(res.Hits, hj)
	}
	return res, nil
}

func snippet(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
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
