package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
)

const serveSynopsis = `serve [--model DIR] [--data DIR] [--index FILE] [--addr 127.0.0.1:8080]

Serves a bi-encoder (and its RRRA adapters, when the model directory has
them) over HTTP, with a web page at / to type a query and see the ranked
documents with the bi-encoder's score, the adapter's p_rel and the rank
change that reranking made. Without --model it serves the model that
rrra demo left in rrra-demo/model, running the demo first if there is
none. Without --data it serves the embedded Cranfield collection; without
--index it encodes the corpus at start.

API (JSON):

	GET  /search?q=TEXT&k=10&rerank=1   one query
	POST /search {"queries": ["..."], "k": 10, "rerank": true}   a batch
	GET  /healthz                          liveness and what is loaded
	GET  /metrics                          Prometheus text format

Limits: --max-k results, --max-query bytes per query, --max-batch queries
per POST, 1 MiB bodies, --max-inflight requests at once (503 beyond),
--timeout per request. The model runs one request at a time (its encoder
reuses scratch memory); requests wait their turn. SIGINT or SIGTERM shuts
down gracefully.

Example:

	rrra demo && rrra serve
	curl 'http://127.0.0.1:8080/search?q=boundary+layer+transition&k=5'`

// serveOptions are serve's limits and reranking settings.
type serveOptions struct {
	maxK, maxQuery, maxBatch, maxInflight int
	timeout                               time.Duration
	lambda                                float64
	rerankK                               int
}

// server answers searches over one corpus with one model.
type server struct {
	o        serveOptions
	d        *beir.Dataset
	ix       *index.Flat
	enc      *retrieval.Encoder
	rr *adapter.Reranker // nil without adapters
	mu       sync.Mutex    // the encoder and adapters reuse scratch memory
	slots    chan struct{} // bounds requests in flight
	m        serveMetrics
	stderr   io.Writer
}

// serveMetrics are the counters /metrics reports.
type serveMetrics struct {
	mu       sync.Mutex
	requests map[string]int64 // "path code" → count
	seconds  map[string]float64
	inflight atomic.Int64
	queries  atomic.Int64
}

// A hitJSON is one result of a search.
type hitJSON struct {
	Rank       int      `json:"rank"`
	RankBefore int      `json:"rank_before"` // rank by the bi-encoder alone
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Text       string   `json:"text"`
	Score      float32  `json:"score"`           // the bi-encoder's score
	PRel       *float32 `json:"p_rel,omitempty"` // the adapters' p_rel, when reranked
}

// A resultJSON is the answer to one query.
type resultJSON struct {
	Query    string    `json:"query"`
	Reranked bool      `json:"reranked"`
	Millis   float64   `json:"ms"`
	Hits     []hitJSON `json:"hits"`
}

//go:embed web/index.html
var indexHTML []byte

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory (default: rrra-demo/model, made by rrra demo)")
	indexPath := fs.String("index", "", "index file from rrra index (default: encode the corpus at start)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	var o serveOptions
	fs.IntVar(&o.maxK, "max-k", 100, "most results per query")
	fs.IntVar(&o.maxQuery, "max-query", 2000, "longest query in bytes")
	fs.IntVar(&o.maxBatch, "max-batch", 64, "most queries per POST")
	fs.IntVar(&o.maxInflight, "max-inflight", 64, "most requests in flight (503 beyond)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request time limit")
	fs.Float64Var(&o.lambda, "rerank", 0.25, "λ_RR when a request asks for reranking")
	fs.IntVar(&o.rerankK, "rerank-k", 100, "reranking depth")
	qLen := fs.Int("query-len", 32, "longest query in tokens")
	dLen := fs.Int("doc-len", 128, "longest document in tokens")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.maxK < 1 || o.maxQuery < 1 || o.maxBatch < 1 || o.maxInflight < 1 || o.rerankK < 1 {
		fmt.Fprintln(stderr, "rrra serve: limits must be ≥ 1")
		return errUsage
	}
	if *modelDir == "" {
		*modelDir = filepath.Join("rrra-demo", "model")
		if !fileExists(filepath.Join(*modelDir, adapter.File)) {
			fmt.Fprintf(stderr, "rrra serve: no model at %s; running rrra demo first (a few minutes)\n", *modelDir)
			if err := runDemo(nil, io.Discard, stderr); err != nil {
				return err
			}
		}
	}
	s, err := newServer(df, *modelDir, *indexPath, *qLen, *dLen, o, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: o.timeout + 5*time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 1 << 16}
	fmt.Fprintf(stderr, "rrra serve: %d documents, %d adapters; listening on http://%s/\n", s.d.Corpus.Len(), s.numAdapters(), ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "rrra serve: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newServer loads the corpus, the model, its adapters (if any) and the
// index (or encodes the corpus).
func newServer(df *dataFlags, modelDir, indexPath string, qLen, dLen int, o serveOptions, stderr io.Writer) (*server, error) {
	d, _, err := df.load(stderr)
	if err != nil {
		return nil, err
	}
	bi, enc, err := loadEncoder(modelDir, qLen, dLen, stderr)
	if err != nil {
		return nil, err
	}
	if err := df.planDense(bi, enc, d.Corpus.Len(), indexPath == ""); err != nil {
		return nil, err
	}
	s := &server{o: o, d: d, enc: enc, slots: make(chan struct{}, o.maxInflight), stderr: stderr,
		m: serveMetrics{requests: map[string]int64{}, seconds: map[string]float64{}}}
	if s.ix, err = openIndex(indexPath, enc, d, stderr); err != nil {
		return nil, err
	}
	if fileExists(filepath.Join(modelDir, adapter.File)) {
		// A request reranks the top max(k, --rerank-k): the reranker
		// itself never cuts (its depth is the most a request can ask).
		cfg := adapter.RerankConfig{K: max(o.maxK, o.rerankK), Lambda: o.lambda}
		if s.rr, err = adapter.LoadReranker(modelDir, enc, retrieval.NewCorpusData(d), cfg); err != nil {
			s.ix.Close()
			return nil, err
		}
		if err := s.rr.Check(s.ix); err != nil {
			s.ix.Close()
			return nil, err
		}
	}
	return s, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// handler routes the API and the page, counting every request.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "documents": s.d.Corpus.Len(), "adapters": s.numAdapters()})
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
func (s *server) acquire(w http.ResponseWriter) bool {
	select {
	case s.slots <- struct{}{}:
		s.m.inflight.Add(1)
		return true
	default:
		httpError(w, http.StatusServiceUnavailable, "too many requests in flight (%d)", s.o.maxInflight)
		return false
	}
}

func (s *server) release() {
	s.m.inflight.Add(-1)
	<-s.slots
}

// params checks k and rerank from a request.
func (s *server) params(kStr, rerankStr string) (int, bool, error) {
	k := 10
	if kStr != "" {
		var err error
		if k, err = strconv.Atoi(kStr); err != nil || k < 1 || k > s.o.maxK {
			return 0, false, fmt.Errorf("k=%q: want an integer from 1 to %d", kStr, s.o.maxK)
		}
	}
	rerank := s.numAdapters() > 0
	if rerankStr != "" {
		b, err := strconv.ParseBool(rerankStr)
		if err != nil {
			return 0, false, fmt.Errorf("rerank=%q: want true or false (1 or 0)", rerankStr)
		}
		rerank = b && s.numAdapters() > 0
	}
	return k, rerank, nil
}

func (s *server) checkQuery(q string) error {
	switch {
	case strings.TrimSpace(q) == "":
		return errors.New("the query is empty")
	case len(q) > s.o.maxQuery:
		return fmt.Errorf("the query has %d bytes, more than %d", len(q), s.o.maxQuery)
	}
	return nil
}

func (s *server) getSearch(w http.ResponseWriter, r *http.Request) {
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
	res, err := s.searchAll(r.Context(), []string{q.Get("q")}, k, rerank)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, res[0])
}

func (s *server) postSearch(w http.ResponseWriter, r *http.Request) {
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
	if err == nil && (len(req.Queries) == 0 || len(req.Queries) > s.o.maxBatch) {
		err = fmt.Errorf("%d queries: want 1 to %d", len(req.Queries), s.o.maxBatch)
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
	res, err := s.searchAll(r.Context(), req.Queries, k, rerank)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
}

// searchAll answers queries one after another under the model's lock,
// giving up when the request's time is over.
func (s *server) searchAll(ctx context.Context, queries []string, k int, rerank bool) ([]resultJSON, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.timeout)
	defer cancel()
	out := make([]resultJSON, 0, len(queries))
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
func (s *server) searchOne(q string, k int, rerank bool) (resultJSON, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	qv, err := s.enc.Queries([]string{q}, nil)
	if err != nil {
		return resultJSON{}, err
	}
	depth := k
	if rerank {
		depth = max(k, s.o.rerankK)
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
	res := resultJSON{Query: q, Reranked: rerank}
	for i, h := range hits[:min(k, len(hits))] {
		doc := &s.d.Corpus.Docs[h.Doc]
		hj := hitJSON{Rank: i + 1, RankBefore: before[h.Doc], ID: doc.ID, Title: doc.Title, Text: snippet(doc.Text, 400), Score: score[h.Doc]}
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
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
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

// numAdapters returns how many adapters rerank (0: none).
func (s *server) numAdapters() int {
	if s.rr == nil {
		return 0
	}
	return len(s.rr.Folds())
}
