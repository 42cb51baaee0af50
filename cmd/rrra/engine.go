package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
	"github.com/rrra/rrra/retrieval/weaviate"
)

// engineSearch is search --engine: each query's candidates from the
// class target (nearVector with enc's query vector: the engine's exact or
// approximate inner-product search), reranked by rr when it is not nil.
// The class must hold d's corpus encoded by enc's model, as rrra export
// records it.
func engineSearch(target weaviate.Target, enc *retrieval.Encoder, d *beir.Dataset, rr *adapter.Reranker, qids, texts []string, k int, stderr io.Writer) (metrics.Run, error) {
	ctx := context.Background()
	c := weaviate.NewClient(target, nil)
	cl, err := c.Class(ctx)
	if err != nil {
		return nil, fmt.Errorf("--engine %s: %w", target, err)
	}
	if err := checkEngineClass(target, cl, enc, d); err != nil {
		return nil, err
	}
	depth := k
	if rr != nil {
		depth = rr.Config().K
	}
	if depth > weaviate.MaxK {
		return nil, fmt.Errorf("--engine %s: %d results per query: the engine returns at most %d", target, depth, weaviate.MaxK)
	}
	began := time.Now()
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return nil, err
	}
	dim := enc.Dim()
	hits, vecs, err := c.Search(ctx, qv, len(qids), dim, depth, rr != nil, d.Corpus.Index)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "%s: %d queries, top %d each from its %s index in %.1fs\n", target, len(qids), depth, cl.Index, time.Since(began).Seconds())
	run := make(metrics.Run, len(qids))
	if rr == nil {
		for i, qid := range qids {
			for _, h := range hits[i] {
				run[qid] = append(run[qid], metrics.Result{DocID: d.Corpus.Docs[h.Doc].ID, Score: float64(h.Score)})
			}
		}
		return run, nil
	}
	sv := &adapter.SparseVectors{D: dim, N: d.Corpus.Len(), M: vecs}
	if err := rr.Check(sv); err != nil {
		return nil, err
	}
	for i, qid := range qids {
		if err := sv.Check(hits[i]); err != nil {
			return nil, fmt.Errorf("--engine %s: query %s: %w", target, qid, err)
		}
		top, _ := rr.Rerank(sv, texts[i], qv[i*dim:(i+1)*dim], hits[i])
		for _, h := range top {
			run[qid] = append(run[qid], metrics.Result{DocID: d.Corpus.Docs[h.Doc].ID, Score: float64(h.Score)})
		}
	}
	cfg := rr.Config()
	fmt.Fprintf(stderr, "reranked the engine's top %d with λ %g, τ_b %g (%d adapters)\n", cfg.K, cfg.Lambda, float32(cfg.TauB), len(rr.Folds()))
	return run, nil
}

// checkEngineClass refuses a class that is missing, or that rrra export
// did not fill with d's corpus encoded by enc's model.
func checkEngineClass(target weaviate.Target, cl *weaviate.Class, enc *retrieval.Encoder, d *beir.Dataset) error {
	switch {
	case cl == nil:
		return fmt.Errorf("--engine %s: no such class: fill it with rrra export --to %s", target, target)
	case cl.Meta == nil:
		return fmt.Errorf("--engine %s: the class was not written by rrra export: its vectors may be another model's", target)
	case cl.Distance != "dot":
		return fmt.Errorf("--engine %s: the class ranks by %q distance, not the inner product (dot) the model was trained for", target, cl.Distance)
	}
	m := cl.Meta
	if m[weaviate.MetaDim] != strconv.Itoa(enc.Dim()) {
		return fmt.Errorf("--engine %s: the class holds vectors of dimension %s; the model gives %d", target, m[weaviate.MetaDim], enc.Dim())
	}
	if fp := enc.Fingerprint(); m[retrieval.MetaModel] != fp {
		return fmt.Errorf("--engine %s: the class was exported from another model (model sha256 %.12s…; this model's is %.12s…): its vectors and this model's query vectors do not belong together", target, m[retrieval.MetaModel], fp)
	}
	if p := enc.Bi.Doc.Precision().String(); m[retrieval.MetaPrecision] != "" && m[retrieval.MetaPrecision] != p {
		return fmt.Errorf("--engine %s: the class's vectors were encoded at %s precision and this model runs at %s: search with --precision %s", target, m[retrieval.MetaPrecision], p, m[retrieval.MetaPrecision])
	}
	if fp := retrieval.NewCorpusData(d).CorpusFingerprint(); m[retrieval.MetaCorpus] != fp || m[weaviate.MetaDocuments] != strconv.Itoa(d.Corpus.Len()) {
		return fmt.Errorf("--engine %s: the class holds another corpus (%s documents, corpus sha256 %.12s…; --data has %d, %.12s…)", target, m[weaviate.MetaDocuments], m[retrieval.MetaCorpus], d.Corpus.Len(), fp)
	}
	return nil
}
