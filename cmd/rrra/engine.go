package main

import (
	"context"
	"fmt"
	"io"
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
	if cl == nil {
		return nil, fmt.Errorf("--engine %s: no such class: fill it with rrra export --to %s", target, target)
	}
	corpus := retrieval.NewCorpusData(d)
	if err := cl.CheckVectors(enc.Dim(), d.Corpus.Len()); err != nil {
		return nil, fmt.Errorf("--engine %s: %w", target, err)
	}
	if err := retrieval.CheckProvenance(cl.Meta, enc, corpus, "--engine "+target.String(), "export it again with rrra export"); err != nil {
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
	if rr != nil {
		// The adapters read the vectors the engine returned.
		sv := &adapter.SparseVectors{D: dim, N: d.Corpus.Len(), M: vecs}
		if hits, err = rr.RerankLists(sv, texts, qv, hits); err != nil {
			return nil, fmt.Errorf("--engine %s: %w", target, err)
		}
		cfg := rr.Config()
		fmt.Fprintf(stderr, "reranked the engine's top %d with λ %g, τ_b %g (%d adapters)\n", cfg.K, cfg.Lambda, float32(cfg.TauB), len(rr.Folds()))
	}
	return retrieval.HitsRun(qids, hits, func(i int) string { return corpus.DocIDs[i] }), nil
}
