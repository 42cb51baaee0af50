package main

import (
	"context"
	"fmt"
	"io"
	"log"
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

const serveSynopsis = `serve [--model DIR] [--data DIR] [--index FILE [--nprobe N] [--rescore N]] [--addr 127.0.0.1:8080]

Serves a bi-encoder (and its RRRA adapters, when the model directory has
them) over HTTP, with a web page at / to type a query and see the ranked
documents with the bi-encoder's score, the adapter's p_rel and the rank
change that reranking made. When the model directory has a learned
fusion (rrra_fusion.safetensors, from rrra demo or rrra train --fusion),
requests rank hybrid by default: the union of BM25's and the
bi-encoder's top 100 ranked by the fusion, as rrra search --method
hybrid ranks them, each result with both component scores and ranks
(a --max-k above 100 widens both lists to it, as search's --k does). Without --model it serves the model that
rrra demo left in rrra-demo/model, running the demo first if there is
none. Without --data it serves the embedded Cranfield collection; without
--index it encodes the corpus at start. An IVF --index (rrra index --type
ivf) is searched over the --nprobe lists nearest each query.

API (JSON):

	GET  /search?q=TEXT&k=10&rerank=1   one query (hybrid=1|0 with a fusion)
	POST /search {"queries": ["..."], "k": 10, "rerank": true, "hybrid": false}   a batch
	GET  /healthz                          liveness and what is loaded
	GET  /metrics                          Prometheus text format

Limits: --max-k results, --max-query bytes per query, --max-batch queries
per POST, 1 MiB bodies, --max-inflight requests encoding or searching at
once (503 beyond; a request's body is read before it takes a slot),
--timeout per request.

Start-up checks everything before it loads anything heavy: every numeric
flag against its domain, then --addr (the listener is bound first), then
--query-len and --doc-len against the model's max_position_embeddings and
the model folder's adapters against the model's dimension, before the
corpus and the index load; a probe search runs before the first request
is accepted. Any failure exits 1 naming the flag or the file. /healthz
answers 503 while searches fail.

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
	fs.IntVar(&o.maxInflight, "max-inflight", 64, "most requests encoding or searching at once (503 beyond)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request time limit")
	fs.Float64Var(&o.lambda, "rerank", 0.25, "λ_RR when a request asks for reranking")
	fs.IntVar(&o.rerankK, "rerank-k", 100, "reranking depth")
	fs.IntVar(&o.batchQueries, "batch-queries", libserver.DefaultBatchQueries, "most queries the batcher encodes together (1: no batching)")
	fs.DurationVar(&o.batchWait, "batch-wait", 2*time.Millisecond, "longest the batcher waits after a batch's first query for more (0: take only what is queued)")
	fs.IntVar(&o.queueLen, "queue-len", 0, "most requests waiting for the batcher, 503 beyond (0: --max-inflight)")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	fs.StringVar(&o.precision, "precision", "", precisionUsage)
	o.ivf = addIVFFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkPrecision("serve", o.precision, stderr); err != nil {
		return err
	}
	// parseFlags has checked every numeric flag against its domain
	// (flagDomains), naming the flag.
	if err := checkCommon("serve", *qLen, *dLen, 0, stderr); err != nil {
		return err
	}
	// Bind before loading anything: a busy address fails now, not after
	// the model and the index have loaded. Nothing is accepted until the
	// server is ready (connections wait in the kernel's backlog).
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	defer ln.Close()
	if *modelDir == "" {
		*modelDir = filepath.Join("rrra-demo", "model")
		if !fileExists(filepath.Join(*modelDir, adapter.File)) {
			fmt.Fprintf(stderr, "rrra serve: no model at %s; running rrra demo first (a few minutes)\n", *modelDir)
			if err := runDemo(nil, io.Discard, stderr); err != nil {
				return err
			}
		}
	}
	o.errorLog = log.New(stderr, "rrra serve: ", log.LstdFlags)
	s, err := newServer(df, *modelDir, *indexPath, *qLen, *dLen, o, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	// The write deadline runs from the end of a request's header: it
	// leaves room for the body (the read timeout) and the search.
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: readTimeout + o.timeout + 5*time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 1 << 16,
		ErrorLog: o.errorLog}
	fmt.Fprintf(stderr, "rrra serve: %d documents, %d adapters, ranking %s by default; listening on http://%s/\n", s.d.Corpus.Len(), s.NumAdapters(), s.DefaultMode(), ln.Addr())
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

// How long serve waits for a request's header, and for the whole request
// with its body: a client slower than these is cut off.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
)

// serveOptions are serve's limits and reranking settings.
type serveOptions struct {
	maxK, maxQuery, maxBatch, maxInflight int
	timeout                               time.Duration
	lambda                                float64
	precision                             string // --precision ("": the folder's)
	rerankK                               int
	// The batcher (libserver.Options.BatchQueries, BatchWait, QueueLen).
	batchQueries int
	batchWait    time.Duration
	queueLen     int
	// ivf is how an IVF index is searched (nil: its defaults).
	ivf *ivfFlags
	// errorLog receives the server's failures (nil: the log package's
	// standard logger).
	errorLog *log.Logger
}

// server is the library's server with what it was built from. Close
// stops its batcher.
type server struct {
	*libserver.Server
	d   *beir.Dataset
	enc *retrieval.Encoder
	ix  index.Index
	rr  *adapter.Reranker // nil without adapters
	// modelDir is the model folder it serves.
	modelDir string
}

// handler returns the server's HTTP handler.
func (s *server) handler() http.Handler { return s.Handler() }

// newServer loads the model and checks qLen, dLen and the model's
// adapters (if any) against it, then loads the corpus and the index (or
// encodes the corpus), makes the server and runs a probe search through
// it: a server it returns has answered a search.
func newServer(df *dataFlags, modelDir, indexPath string, qLen, dLen int, o serveOptions, stderr io.Writer) (*server, error) {
	enc, err := loadServeEncoder(modelDir, qLen, dLen, o.precision, stderr)
	if err != nil {
		return nil, err
	}
	hasAdapters, err := checkAdapters(modelDir, enc)
	if err != nil {
		return nil, err
	}
	fusion, err := adapter.LoadFolderFusion(modelDir)
	if err != nil {
		return nil, err
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return nil, err
	}
	if err := df.mem.Dense(enc, d.Corpus.Len(), indexPath == ""); err != nil {
		return nil, err
	}
	s := &server{d: d, enc: enc, modelDir: modelDir}
	if s.ix, err = openIndex(indexPath, enc, d, o.ivf, stderr); err != nil {
		return nil, err
	}
	var hybrid *adapter.HybridRanker
	if fusion != nil {
		// As rrra search --method hybrid ranks: each list's top
		// max(k, 100), here for the largest k a request may ask.
		if err := df.mem.BM25(); err != nil {
			s.ix.Close()
			return nil, err
		}
		hybrid = &adapter.HybridRanker{Index: s.ix, BM25: retrieval.BuildBM25(retrieval.NewCorpusData(d)), K: max(o.maxK, 100),
			Scale: enc.LogitScale(), Fusion: fusion}
	}
	if hasAdapters {
		// A request reranks the top max(k, --rerank-k): the reranker
		// itself never cuts (its depth is the most a request can ask).
		cfg := adapter.RerankConfig{K: max(o.maxK, o.rerankK), Lambda: o.lambda}
		if s.rr, err = adapter.LoadReranker(modelDir, enc, retrieval.NewCorpusData(d), cfg); err != nil {
			s.ix.Close()
			return nil, err
		}
	}
	lo := libserver.Options{MaxK: o.maxK, MaxQuery: o.maxQuery, MaxBatch: o.maxBatch, MaxInflight: o.maxInflight, Timeout: o.timeout, RerankK: o.rerankK,
		BatchQueries: o.batchQueries, BatchWait: o.batchWait, QueueLen: o.queueLen, ErrorLog: o.errorLog, Hybrid: hybrid}
	if s.Server, err = libserver.New(d, enc, s.ix, s.rr, lo); err != nil {
		s.ix.Close()
		return nil, err
	}
	if err := s.Probe(context.Background()); err != nil {
		s.Close()
		s.ix.Close()
		return nil, fmt.Errorf("a probe search for %q failed: %w", libserver.ProbeQuery, err)
	}
	return s, nil
}

// loadServeEncoder reads the model in dir with queries of up to qLen and
// documents of up to dLen tokens (0: the model's defaults), refusing a
// set length beyond the model's max_position_embeddings with an error
// naming its flag. A set length is loaded as 3, which every model reads,
// and put in place once checked here.
func loadServeEncoder(dir string, qLen, dLen int, precision string, stderr io.Writer) (*retrieval.Encoder, error) {
	least := func(n int) int { return min(n, 3) } // 0 stays the default; checkCommon refused 1 and 2
	enc, err := loadEncoder(dir, least(qLen), least(dLen), precision, stderr)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		flag string
		n    int
		max  int
		set  *int
	}{
		{"query-len", qLen, enc.Bi.Query.Config.MaxPositionEmbeddings, &enc.QueryMaxLen},
		{"doc-len", dLen, enc.Bi.Doc.Config.MaxPositionEmbeddings, &enc.DocMaxLen},
	} {
		if c.n == 0 {
			continue
		}
		if c.n > c.max {
			return nil, fmt.Errorf("--%s %d: more than the model's max_position_embeddings %d (%s)", c.flag, c.n, c.max, dir)
		}
		*c.set = c.n
	}
	return enc, nil
}

// checkAdapters reads the adapters of the model folder dir, if it has
// any, and refuses them unless they read enc's vectors: it reports whether
// there are adapters.
func checkAdapters(dir string, enc *retrieval.Encoder) (bool, error) {
	path := filepath.Join(dir, adapter.File)
	if !fileExists(path) {
		return false, nil
	}
	folds, err := adapter.LoadFolds(path)
	if err != nil {
		return true, err
	}
	if len(folds) == 0 {
		return true, fmt.Errorf("%s: no adapters in the file", path)
	}
	if d := folds.Config().Dim; d != enc.Dim() {
		return true, fmt.Errorf("%s: the adapters read vectors of dimension %d, the model in %s gives vectors of dimension %d", path, d, dir, enc.Dim())
	}
	return true, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
