package adapter

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// Folds is a cross-fitted set of adapters: fold f's adapter was fitted on
// the training queries of the other folds (query q belongs to fold
// q mod len), so each training query is judged by an adapter that never
// saw it. At query time, where no query was seen, p_rel is the mean of
// every fold's. One adapter (no cross-fitting) is a Folds of length 1.
type Folds []*Adapter

// ForQuery returns the adapter that judges training query q: the one
// fitted without it.
func (fs Folds) ForQuery(q int) *Adapter { return fs[foldOf(int32(q), len(fs))] }

// Config returns the folds' shared configuration.
func (fs Folds) Config() Config { return fs[0].Cfg }

// Score returns p_rel for each training pair, each judged by the adapter
// of its query's fold, after filling the pairs' features (see
// CrossFitScore).
func (fs Folds) Score(td *retrieval.TrainData, qv, dv []float32, ts *retrieval.TokenStates, lex *Lexical, dim int, pairs []Pair) []float32 {
	return CrossFitScore(fs, td, qv, dv, ts, lex, dim, pairs)
}

// Save writes the folds to path (see Save).
func (fs Folds) Save(path string) error { return Save(path, fs) }

// LoadFolds reads folds written by Save.
func LoadFolds(path string) (Folds, error) { return Load(path) }

// check reports folds that cannot work together.
func (fs Folds) check() error {
	if len(fs) == 0 {
		return errors.New("adapter: no adapters")
	}
	for i, a := range fs {
		if a == nil {
			return fmt.Errorf("adapter: fold %d is nil", i)
		}
		if a.Cfg != fs[0].Cfg {
			return fmt.Errorf("adapter: fold %d is shaped %+v, fold 0 %+v", i, a.Cfg, fs[0].Cfg)
		}
	}
	return nil
}

// Vectors is what reranking reads of a collection: each document's
// vector by its number in the corpus. Every index.Index is one; so is
// a set of vectors a vector database returned with its candidates.
type Vectors interface {
	// Dim returns the vectors' dimension.
	Dim() int
	// Len returns the number of documents in the corpus.
	Len() int
	// Vector returns document i's vector, 0 <= i < Len().
	Vector(i int) []float32
}

// A Reranker reranks a bi-encoder's result lists with fitted adapters:
// over the top K, by s/τ_b + λ·log p_rel (RerankConfig). It is the one
// place search, serve and experiments rerank through, and it holds the
// one rule for which adapters can rerank: every Features combination
// can, the features that read a query's other positives taking their
// values for a query without one (see Features), as long as the reranker
// has what the adapters read: the corpus's BM25 index for LexFeature
// (RerankConfig.Lexical) and its token states for adapter B
// (RerankConfig.Tokens). A Reranker is not safe for concurrent use when
// it reads the lexical feature (Lexical caches per query).
type Reranker struct {
	folds Folds
	cfg   RerankConfig
}

// NewReranker checks folds and cfg and returns their reranker.
// temperature is the bi-encoder's training temperature
// (nn.BiEncoder.Temperature; 0 means 1): a τ_b of 0 in cfg takes it, so
// that s/τ_b are the model's own logits, the same default everywhere.
// K 0 means 100.
func NewReranker(folds Folds, temperature float64, cfg RerankConfig) (*Reranker, error) {
	if err := folds.check(); err != nil {
		return nil, err
	}
	if cfg.K < 0 {
		return nil, fmt.Errorf("adapter: reranking depth %d: want ≥ 1 (0: 100)", cfg.K)
	}
	if cfg.K == 0 {
		cfg.K = 100
	}
	if !finiteAtLeast(cfg.Lambda, 0) {
		return nil, fmt.Errorf("adapter: reranking λ %g: want a finite λ ≥ 0", cfg.Lambda)
	}
	if !finiteAtLeast(temperature, 0) {
		return nil, fmt.Errorf("adapter: model temperature %g: want > 0", temperature)
	}
	if temperature == 0 {
		temperature = 1
	}
	if cfg.TauB == 0 {
		cfg.TauB = temperature
	}
	if !finiteAtLeast(cfg.TauB, 0) || cfg.TauB == 0 {
		return nil, fmt.Errorf("adapter: reranking τ_b %g: want a finite τ_b > 0", cfg.TauB)
	}
	c := folds.Config()
	if c.LexFeature && cfg.Lexical == nil {
		return nil, errors.New("adapter: the adapters read lex_feature: reranking needs the corpus's BM25 index (RerankConfig.Lexical)")
	}
	if c.Token && cfg.Tokens == nil {
		return nil, errors.New("adapter: adapter B reads the documents' token states: reranking needs them (RerankConfig.Tokens)")
	}
	return &Reranker{folds: folds, cfg: cfg}, nil
}

func finiteAtLeast(x, lo float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= lo }

// Config returns the reranker's settings, defaults filled in.
func (r *Reranker) Config() RerankConfig { return r.cfg }

// Folds returns the reranker's adapters.
func (r *Reranker) Folds() Folds { return r.folds }

// Check reports an index the reranker cannot read: vectors of another
// width than the adapters', or token states or a BM25 index of another
// corpus size.
func (r *Reranker) Check(ix Vectors) error {
	if d := r.folds.Config().Dim; ix.Dim() != d {
		return fmt.Errorf("adapter: the adapters read vectors of dimension %d, the index holds %d", d, ix.Dim())
	}
	if r.cfg.Tokens != nil && r.cfg.Tokens.Len() != ix.Len() {
		return fmt.Errorf("adapter: token states of %d documents for an index of %d", r.cfg.Tokens.Len(), ix.Len())
	}
	if r.cfg.Lexical != nil && r.cfg.Lexical.BM25.Len() != ix.Len() {
		return fmt.Errorf("adapter: a BM25 index of %d documents for an index of %d", r.cfg.Lexical.BM25.Len(), ix.Len())
	}
	return nil
}

// PRel returns the adapters' mean p_rel for each of hits, the query's
// results in ix (its text, read by the lexical feature, and its vector
// qv).
func (r *Reranker) PRel(ix Vectors, query string, qv []float32, hits []index.Hit) []float32 {
	return prel(r.folds, ix, query, qv, hits, r.cfg)
}

// Rerank reorders the first K of hits and returns them with their
// combined scores (the rest is dropped: a reranked list is K long) and
// their p_rel, in the new order. λ 0 gives the bi-encoder's order back.
func (r *Reranker) Rerank(ix Vectors, query string, qv []float32, hits []index.Hit) ([]index.Hit, []float32) {
	top := hits[:min(r.cfg.K, len(hits))]
	rel := r.PRel(ix, query, qv, top)
	p := make(map[int]float32, len(top))
	for i, h := range top {
		p[h.Doc] = rel[i]
	}
	var out []index.Hit
	if r.cfg.Lambda != 0 {
		out = combine(top, rel, r.cfg)
	} else {
		out = combine(top, nil, r.cfg)
	}
	prel := make([]float32, len(out))
	for i, h := range out {
		prel[i] = p[h.Doc]
	}
	return out, prel
}

// Search searches ix for each query (ids qids, texts, vectors the rows
// of qv) and reranks the top K of each, returning the reranked lists as
// a run.
func (r *Reranker) Search(ix index.Index, qids, texts []string, qv []float32) (metrics.Run, error) {
	if err := r.Check(ix); err != nil {
		return nil, err
	}
	if len(texts) != len(qids) || len(qv) != len(qids)*ix.Dim() {
		return nil, fmt.Errorf("adapter: %d query ids, %d texts and %d floats of vectors of dimension %d", len(qids), len(texts), len(qv), ix.Dim())
	}
	return rerankSearch(r.folds, ix, qids, texts, qv, r.cfg), nil
}

// TuneLambda chooses λ_RR from grid by cross-fitted nDCG@10 on the
// training queries of td, with the reranker's depth, τ_b and features;
// it returns the chosen λ, the mean nDCG@10 of each grid value and the
// p-value against λ 0. Each training query is reranked by the adapter
// of its fold (Folds.ForQuery: fitted by Sampler.Fit, it never saw the
// query). ix holds the documents' vectors, numbered as td's corpus, and
// qv the training queries'. The best λ by mean nDCG@10 (ties to the
// smaller) is chosen only if it beats λ = 0 on these queries with a
// paired randomization test's p < 0.05 (10,000 trials); otherwise the
// choice is 0, "do nothing" (p is 1 when the best is 0 already).
//
// The bi-encoder was trained on these queries, so its own ranking of
// them is better than of unseen ones (on Cranfield and SciFact, nDCG@10
// 0.97 and more), which leaves reranking little to show: a conservative
// bias. With one adapter the choice is not cross-fitted.
func (r *Reranker) TuneLambda(ix index.Index, td *retrieval.TrainData, qv []float32, grid []float64) (float64, []float64, float64, error) {
	if err := r.Check(ix); err != nil {
		return 0, nil, 0, err
	}
	for _, x := range grid {
		if !finiteAtLeast(x, 0) {
			return 0, nil, 0, fmt.Errorf("adapter: TuneLambda: λ %g in the grid: want finite and ≥ 0", x)
		}
	}
	return tuneLambda(r.folds, ix, td, qv, grid, r.cfg)
}

// LoadReranker reads the adapters saved in a model directory (File, as
// rrra train --sampler rrra and rrra experiment --save-model write it)
// and returns their reranker for enc's model over corpus, the collection
// the index holds (NewCorpusData). What the adapters read beyond the
// vectors is built here: the corpus's token states for adapter B, its
// BM25 index for the lexical feature. τ_b 0 in cfg takes the model's
// temperature.
func LoadReranker(dir string, enc *retrieval.Encoder, corpus *retrieval.TrainData, cfg RerankConfig) (*Reranker, error) {
	path := filepath.Join(dir, File)
	folds, err := LoadFolds(path)
	if err != nil {
		return nil, err
	}
	c := folds.Config()
	if c.Dim != enc.Dim() {
		return nil, fmt.Errorf("adapter: %s: the adapters read vectors of dimension %d, the model in %s gives %d", path, c.Dim, dir, enc.Dim())
	}
	if c.Token && cfg.Tokens == nil {
		if cfg.Tokens, err = enc.DocTokens(corpus.Docs, nil); err != nil {
			return nil, err
		}
	}
	if c.LexFeature && cfg.Lexical == nil {
		cfg.Lexical = NewLexical(retrieval.BuildBM25(corpus))
	}
	return NewReranker(folds, float64(enc.Bi.Temperature), cfg)
}
