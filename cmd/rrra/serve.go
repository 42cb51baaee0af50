package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rrra/rrra/adapter"
	libserver "github.com/rrra/rrra/adapter/server"
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
--timeout per request.

Dynamic batching: concurrent requests' queries join a queue of at most
--queue-len requests (503 beyond; 0: --max-inflight); one goroutine takes
up to --batch-queries of them, waiting at most --batch-wait after the
first for more, encodes them together, searches them as one multi-query
product and reranks each. --batch-queries 1 answers one query at a time.
Results are those of searching each query alone. SIGINT or SIGTERM shuts
down gracefully.

Example:

	rrra demo && rrra serve
	curl 'http://127.0.0.1:8080/search?q=boundary+layer+transition&k=5'`

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
	fs.IntVar(&o.batchQueries, "batch-queries", libserver.DefaultBatchQueries, "most queries the batcher encodes together (1: no batching)")
	fs.DurationVar(&o.batchWait, "batch-wait", 2*time.Millisecond, "longest the batcher waits after a batch's first query for more (0: take only what is queued)")
	fs.IntVar(&o.queueLen, "queue-len", 0, "most requests waiting for the batcher, 503 beyond (0: --max-inflight)")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("serve", *qLen, *dLen, 0, stderr); err != nil {
		return err
	}
	if o.maxK < 1 || o.maxQuery < 1 || o.maxBatch < 1 || o.maxInflight < 1 || o.rerankK < 1 || o.timeout <= 0 || !(o.lambda >= 0) || math.IsInf(o.lambda, 0) ||
		o.batchQueries < 1 || o.batchWait < 0 || o.queueLen < 0 ||
		o.batchQueries > libserver.MaxBatchQueries || o.batchWait > libserver.MaxBatchWait || o.queueLen > libserver.MaxQueueLen {
		fmt.Fprintf(stderr, "rrra serve: limits and --batch-queries must be ≥ 1, --timeout > 0, --batch-wait and --queue-len ≥ 0 and --rerank a finite λ ≥ 0; --batch-queries at most %d, --batch-wait %v, --queue-len %d\n",
			libserver.MaxBatchQueries, libserver.MaxBatchWait, libserver.MaxQueueLen)
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
	defer s.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: o.timeout + 5*time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 1 << 16}
	fmt.Fprintf(stderr, "rrra serve: %d documents, %d adapters; listening on http://%s/\n", s.d.Corpus.Len(), s.NumAdapters(), ln.Addr())
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
	err = srv.Shutdown(sctx)
	s.Close() // after the HTTP server: no request is cut off
	return err
}

// serveOptions are serve's limits and reranking settings.
type serveOptions struct {
	maxK, maxQuery, maxBatch, maxInflight int
	timeout                               time.Duration
	lambda                                float64
	rerankK                               int
	// The batcher (libserver.Options.BatchQueries, BatchWait, QueueLen).
	batchQueries int
	batchWait    time.Duration
	queueLen     int
}

// server is the library's server with what it was built from. Close
// stops its batcher.
type server struct {
	*libserver.Server
	d   *beir.Dataset
	enc *retrieval.Encoder
	ix  *index.Flat
	rr  *adapter.Reranker // nil without adapters
}

// handler returns the server's HTTP handler.
func (s *server) handler() http.Handler { return s.Handler() }

// newServer loads the corpus, the model, its adapters (if any) and the
// index (or encodes the corpus).
func newServer(df *dataFlags, modelDir, indexPath string, qLen, dLen int, o serveOptions, stderr io.Writer) (*server, error) {
	d, _, err := df.load(stderr)
	if err != nil {
		return nil, err
	}
	enc, err := loadEncoder(modelDir, qLen, dLen, stderr)
	if err != nil {
		return nil, err
	}
	if err := df.mem.Dense(enc, d.Corpus.Len(), indexPath == ""); err != nil {
		return nil, err
	}
	s := &server{d: d, enc: enc}
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
	}
	lo := libserver.Options{MaxK: o.maxK, MaxQuery: o.maxQuery, MaxBatch: o.maxBatch, MaxInflight: o.maxInflight, Timeout: o.timeout, RerankK: o.rerankK,
		BatchQueries: o.batchQueries, BatchWait: o.batchWait, QueueLen: o.queueLen}
	if s.Server, err = libserver.New(d, enc, s.ix, s.rr, lo); err != nil {
		s.ix.Close()
		return nil, err
	}
	return s, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
