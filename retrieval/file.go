package retrieval

import (
	"fmt"
	"slices"

	"github.com/rrra/rrra/retrieval/beir"
)

// FromExamples builds training data and a fixed pool from Tevatron-style
// examples (as rrra mine writes them) over the corpus of d: every docid
// must be in the corpus. Negatives that are also positives of their query
// are dropped and counted. name is the examples file, for errors.
func FromExamples(d *beir.Dataset, examples []beir.TrainExample, name string) (*TrainData, *Pool, int, error) {
	td := NewCorpusData(d)
	pool := &Pool{Source: "file"}
	dropped := 0
	lookup := func(ex int, field string, p beir.Passage) (int32, error) {
		i, ok := d.Corpus.Index(p.DocID)
		if !ok {
			return 0, fmt.Errorf("%s: example %d (query %q): %s docid %q is not in the corpus of %s",
				name, ex+1, examples[ex].QueryID, field, p.DocID, d.Name)
		}
		return int32(i), nil
	}
	for e, ex := range examples {
		var pos []int32
		for _, p := range ex.Positives {
			i, err := lookup(e, "positive", p)
			if err != nil {
				return nil, nil, 0, err
			}
			pos = append(pos, i)
		}
		slices.Sort(pos)
		pos = slices.Compact(pos)
		var cands []Candidate
		var scores []float32
		for _, p := range ex.Negatives {
			i, err := lookup(e, "negative", p)
			if err != nil {
				return nil, nil, 0, err
			}
			if _, isPos := slices.BinarySearch(pos, i); isPos {
				dropped++
				continue
			}
			var s float32
			if p.Score != nil {
				s = float32(*p.Score)
			}
			cands = append(cands, Candidate{Doc: i, Score: s})
		}
		for range pos {
			scores = append(scores, 0)
		}
		td.Queries = append(td.Queries, ex.Query)
		td.QueryIDs = append(td.QueryIDs, ex.QueryID)
		td.Positives = append(td.Positives, pos)
		pool.Cands = append(pool.Cands, cands)
		pool.PosScores = append(pool.PosScores, scores)
	}
	if len(td.Queries) == 0 {
		return nil, nil, 0, fmt.Errorf("%s: no training examples", name)
	}
	return td, pool, dropped, nil
}

// FileSampler returns the sampler for a pool read from a training file
// (FromExamples): each query's negatives drawn uniformly from its own,
// never re-mined.
func FileSampler(pool *Pool) Sampler {
	most := 1
	for _, c := range pool.Cands {
		most = max(most, len(c))
	}
	return TopKUniform{K: most, Source: PoolFile}
}

// WithoutQueries returns the examples whose query is not in q (a dev
// split to keep out of training), and how many it left out.
func WithoutQueries(examples []beir.TrainExample, q beir.Qrels) ([]beir.TrainExample, int) {
	kept := make([]beir.TrainExample, 0, len(examples))
	for _, ex := range examples {
		if _, in := q[ex.QueryID]; !in {
			kept = append(kept, ex)
		}
	}
	return kept, len(examples) - len(kept)
}
