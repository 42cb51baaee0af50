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
