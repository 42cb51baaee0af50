package adapter

import (
	"math"
	"sort"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// RerankConfig sets reranking: over the top K of a result list, rank by
//
//	s_i/τ_b + λ·log p_rel,i
//
// the product rule s_Base·s_Adapter^λ in log space (s_Base a softmax of
// s/τ_b over the K, whose normaliser is common to all of them). λ = 0
// gives the bi-encoder's ranking back.
type RerankConfig struct {
	K      int     // depth (0: 100)
	Lambda float64 // λ_RR
	// TauB is τ_b on the bi-encoder's scores; NewReranker reads 0 as the
	// model's training temperature.
	TauB float64
	// Tokens holds the corpus's token states, numbered as the index's
	// documents, for adapter B (nil for A).
	Tokens *retrieval.TokenStates
	// Lexical gives adapters with LexFeature their lexical match; the
	// query texts come with the queries.
	Lexical *Lexical
}

func (cfg RerankConfig) depth() int {
	if cfg.K == 0 {
		return 100
	}
	return cfg.K
}

// prel returns the adapters' mean p_rel for each of hits (the query's
// text, vector qv; the documents' vectors from ix). NewReranker has
// checked that cfg holds what the adapters read.
func prel(adapters []*Adapter, ix Vectors, query string, qv []float32, hits []index.Hit, cfg RerankConfig) []float32 {
	k := len(hits)
	d := adapters[0].Cfg.Dim
	c := make([]float32, k*d)
	for i, h := range hits {
		copy(c[i*d:(i+1)*d], ix.Vector(h.Doc))
	}
	rel := make([]float32, k)
	var extra []float32
	if adapters[0].Cfg.LexFeature {
		extra = make([]float32, k*numExtra)
		for i, h := range hits {
			copy(extra[i*numExtra:], defaultExtra[:])
			extra[i*numExtra+2] = cfg.Lexical.Score(query, int(h.Doc))
		}
	}
	var p []float32
	for _, a := range adapters {
		if a.Cfg.Token {
			q := make([]float32, k*d)
			for i := 0; i < k; i++ {
				copy(q[i*d:(i+1)*d], qv)
			}
			p = a.ScoreTokens(q, c, extra, func(i int) []float32 { return cfg.Tokens.Doc(int(hits[i].Doc)) }, k).Rel
		} else {
			p = a.RelevanceOne(qv, c, extra, k, p)
		}
		for i, r := range p {
			rel[i] += r / float32(len(adapters))
		}
	}
	return rel
}

// combine ranks hits by s_i/τ_b + λ·log p_rel,i (rel nil: by s_i/τ_b, the
// bi-encoder's order), ties in their original order, and returns them
// with the combined scores.
func combine(hits []index.Hit, rel []float32, cfg RerankConfig) []index.Hit {
	tau := cfg.TauB
	if tau == 0 {
		tau = 1
	}
	out := make([]index.Hit, len(hits))
	for i, h := range hits {
		s := float64(h.Score) / tau
		if rel != nil {
			s += cfg.Lambda * math.Log(max(float64(rel[i]), 1e-30))
		}
		out[i] = index.Hit{Doc: h.Doc, Score: float32(s)}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// rerankSearch searches ix for each query vector (rows of queryVecs, keyed
// by qids, with their texts, which only the lexical feature reads) and
// reranks the top cfg.K of each, returning the reranked lists as a run.
func rerankSearch(adapters []*Adapter, ix index.Index, qids, texts []string, queryVecs []float32, cfg RerankConfig) metrics.Run {
	d := ix.Dim()
	hits := ix.Search(queryVecs, len(qids), cfg.depth())
	run := make(metrics.Run, len(qids))
	for i, qid := range qids {
		top := hits[i][:min(cfg.depth(), len(hits[i]))]
		var rel []float32
		if cfg.Lambda != 0 {
			rel = prel(adapters, ix, texts[i], queryVecs[i*d:(i+1)*d], top, cfg)
		}
		for _, h := range combine(top, rel, cfg) {
			run[qid] = append(run[qid], metrics.Result{DocID: ix.ID(h.Doc), Score: float64(h.Score)})
		}
	}
	return run
}
