package retrieval

import (
	"testing"

	"github.com/rrra/rrra/retrieval/beir"
)

func TestFileSamplerAndWithoutQueries(t *testing.T) {
	s := FileSampler(&Pool{Cands: [][]Candidate{{{Doc: 1}, {Doc: 2}}, {{Doc: 3}, {Doc: 4}, {Doc: 5}}, nil}})
	if s.PoolSource() != PoolFile || s.PoolK() != 3 {
		t.Errorf("FileSampler: source %q, k %d; want file, 3 (the most negatives of a query)", s.PoolSource(), s.PoolK())
	}
	if s := FileSampler(&Pool{}); s.PoolK() != 1 {
		t.Errorf("FileSampler of an empty pool: k %d, want 1", s.PoolK())
	}
	ex := []beir.TrainExample{{QueryID: "a"}, {QueryID: "b"}, {QueryID: "c"}}
	kept, n := WithoutQueries(ex, beir.Qrels{"b": {"d1": 1}})
	if n != 1 || len(kept) != 2 || kept[0].QueryID != "a" || kept[1].QueryID != "c" {
		t.Errorf("WithoutQueries: %v, %d", kept, n)
	}
}
