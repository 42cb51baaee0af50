package retrieval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rrra/rrra/retrieval/beir"
)

// MineStats describes a MineExamples run: what the sampler kept and
// dropped, and the pool's scores (nil without a pool).
type MineStats struct {
	Sample SampleStats
	// PosScores, PoolScores and NegScores are the scores of the
	// positives, of every pool candidate and of the chosen negatives
	// drawn from the pool.
	PosScores, PoolScores, NegScores []float64
	// Above counts the queries whose best pool candidate outscores their
	// best positive: likely false negatives or hard ones.
	Above int
}

// MineExamples draws negatives per training query of td with smp from
// pool (nil for samplers without one) and returns them as Tevatron-style
// training examples: the query, its positives and the negatives, each
// negative drawn from the pool with the pool's score. Query q samples
// with its own generator seeded by (seed, q), so a query's negatives do
// not depend on the others. d is the collection td was made from.
func MineExamples(d *beir.Dataset, td *TrainData, smp Sampler, pool *Pool, negatives int, seed uint64) ([]beir.TrainExample, *MineStats, error) {
	if negatives < 1 {
		return nil, nil, fmt.Errorf("retrieval: mine: %d negatives per query: want ≥ 1", negatives)
	}
	if d.Corpus.Len() != len(td.Docs) {
		return nil, nil, fmt.Errorf("retrieval: mine: a collection of %d documents for training data over %d", d.Corpus.Len(), len(td.Docs))
	}
	if pool != nil && len(pool.Cands) != len(td.Queries) {
		return nil, nil, fmt.Errorf("retrieval: mine: a pool of %d queries for %d training queries", len(pool.Cands), len(td.Queries))
	}
	st := &MineStats{}
	passage := func(i int32) beir.Passage {
		doc := &d.Corpus.Docs[i]
		return beir.Passage{DocID: doc.ID, Title: doc.Title, Text: doc.Text}
	}
	examples := make([]beir.TrainExample, len(td.Queries))
	for q := range td.Queries {
		rng := rand.New(rand.NewPCG(seed, uint64(q)))
		in := SampleInput{Query: q, Positives: td.Positives[q], NumDocs: len(td.Docs)}
		if pool != nil {
			best := math.Inf(-1)
			in.Cands = pool.Cands[q]
			for _, s := range pool.PosScores[q] {
				best = math.Max(best, float64(s))
				st.PosScores = append(st.PosScores, float64(s))
			}
			in.PosScore = float32(best)
			for _, c := range pool.Cands[q] {
				st.PoolScores = append(st.PoolScores, float64(c.Score))
			}
			if len(pool.Cands[q]) > 0 && float64(pool.Cands[q][0].Score) > best {
				st.Above++
			}
		}
		negs := smp.Sample(rng, &in, negatives, nil, &st.Sample)
		ex := beir.TrainExample{QueryID: td.QueryIDs[q], Query: td.Queries[q]}
		for _, p := range td.Positives[q] {
			ex.Positives = append(ex.Positives, passage(p))
		}
		for _, n := range negs {
			p := passage(n)
			if pool != nil {
				if i := slices.IndexFunc(pool.Cands[q], func(c Candidate) bool { return c.Doc == n }); i >= 0 {
					s := float64(pool.Cands[q][i].Score)
					p.Score = &s
					st.NegScores = append(st.NegScores, s)
				}
			}
			ex.Negatives = append(ex.Negatives, p)
		}
		examples[q] = ex
	}
	return examples, st, nil
}
