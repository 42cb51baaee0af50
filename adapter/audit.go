package adapter

import (
	"fmt"
	"io"
	"sort"

	"github.com/rrra/rrra/retrieval"
)

// AuditConfig sets an audit of a split's labels (Audit).
type AuditConfig struct {
	// K is the number of mined negatives per query (≥ 1).
	K int
	// Sampler sets the adapters; fewer than two folds are raised to two,
	// so that every pair is judged by an adapter that never saw its query.
	Sampler SamplerConfig
	// Seed seeds the adapters, their labels and their fitting.
	Seed uint64
	// ScorePositives also scores every labelled positive with the
	// adapter of its query's fold (AuditResult.PositiveRel), for
	// calibration plots.
	ScorePositives bool
	Log            io.Writer      // the adapters' log; nil: quiet
	Progress       func(done int) // documents encoded so far; may be nil
}

// A Suspect is one audited (query, labelled negative) pair.
type Suspect struct {
	Query   int    // training query index
	Doc     int32  // corpus index
	QueryID string // the query's id
	DocID   string // the document's id
	// SFN is the cross-fitted adapter's p_rel: how likely the labelled
	// negative is relevant.
	SFN float64
	// Rank is the document's rank in the model's ranking of the whole
	// corpus for the query (1-based, positives included).
	Rank int
	// Score is the bi-encoder's score (cosine for a normalised model).
	Score float64
	// QueryTop is the pair's place among its query's suspects (1: most
	// suspect).
	QueryTop int
}

// AuditResult is what Audit found.
type AuditResult struct {
	Suspects []Suspect // every mined negative, most suspect first
	// PositiveRel holds, with ScorePositives, each labelled positive's
	// cross-fitted p_rel, queries in order and each query's positives in
	// td's order.
	PositiveRel []float32
	Queries     int // queries audited
}

// Audit lists the labelled negatives of td that are most likely false
// negatives: enc's model mines each query's top K documents that td does
// not mark relevant, cross-fitted RRRA adapters fitted on td's labels
// estimate s_FN for each, and the pairs come back most suspect first
// (ties in query and rank order).
func Audit(enc *retrieval.Encoder, td *retrieval.TrainData, cfg AuditConfig) (*AuditResult, error) {
	if cfg.K < 1 {
		return nil, fmt.Errorf("adapter: audit depth %d: want ≥ 1", cfg.K)
	}
	sc := cfg.Sampler
	sc.Folds = max(2, sc.Folds)
	ts, err := NewTrainingSampler(sc, enc, td, nil, cfg.Seed)
	if err != nil {
		return nil, err
	}
	s := ts.Sampler
	s.Log = cfg.Log
	pool, qv, dv, err := retrieval.MineWith(enc, td, cfg.K, cfg.Progress)
	if err != nil {
		return nil, err
	}
	if err := s.ObservePool(pool, td, qv, dv, enc.Dim()); err != nil {
		return nil, err
	}
	scale := enc.LogitScale()
	res := &AuditResult{Queries: len(pool.Cands)}
	for q, cands := range pool.Cands {
		mine := make([]Suspect, len(cands))
		for i, c := range cands {
			// Rank among all documents: the pool is the top of the
			// ranking without the positives, so add the positives
			// scoring above.
			above := 0
			for _, ps := range pool.PosScores[q] {
				if ps > c.Score {
					above++
				}
			}
			mine[i] = Suspect{Query: q, Doc: c.Doc, QueryID: td.QueryIDs[q], DocID: td.DocIDs[c.Doc],
				SFN: float64(s.SFN[q][i]), Score: float64(c.Score / scale), Rank: i + 1 + above}
		}
		sort.SliceStable(mine, func(a, b int) bool { return mine[a].SFN > mine[b].SFN })
		for i := range mine {
			mine[i].QueryTop = i + 1
		}
		res.Suspects = append(res.Suspects, mine...)
	}
	sort.SliceStable(res.Suspects, func(a, b int) bool { return res.Suspects[a].SFN > res.Suspects[b].SFN })
	if cfg.ScorePositives {
		var pairs []Pair
		for q, ps := range td.Positives {
			for _, p := range ps {
				pairs = append(pairs, Pair{Query: int32(q), Doc: p, Y: 1})
			}
		}
		var tok *retrieval.TokenStates
		if sc.Token {
			if tok, err = enc.DocTokens(td.Docs, nil); err != nil {
				return nil, err
			}
		}
		res.PositiveRel = s.Adapters.Score(td, qv, dv, tok, s.lex(), enc.Dim(), pairs)
	}
	return res, nil
}
