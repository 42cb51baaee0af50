package adapter

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
)

// TestTuneLambda checks the choice of λ_RR with an adapter whose p_rel
// falls with the score (σ(−20·q·c), set by hand), so that reranking with a
// large λ reverses each query's top 20: when the qrels judge each query's
// first hit relevant, reranking can only hurt and λ must be 0; when they
// judge its 20th, the reversal helps, and λ must be the smallest value
// that reverses (5; 50 ties with it); when only 2 of the 12 queries gain
// so (the others' relevant document lies beyond the top 20, where
// reranking cannot reach it), the best mean is still at λ 5, but the gain
// is not significant (p 0.5) and λ must be 0 again.
func TestTuneLambda(t *testing.T) {
	const d, nd, nq = 8, 300, 12
	r := rand.New(rand.NewPCG(4, 4))
	unit := func(n int) []float32 {
		v := make([]float32, n*d)
		for i := 0; i < n; i++ {
			s := 0.0
			for j := 0; j < d; j++ {
				x := r.NormFloat64()
				v[i*d+j] = float32(x)
				s += x * x
			}
			for j := 0; j < d; j++ {
				v[i*d+j] /= float32(math.Sqrt(s))
			}
		}
		return v
	}
	dv, qv := unit(nd), unit(nq)
	td := &retrieval.TrainData{}
	for i := 0; i < nd; i++ {
		td.DocIDs = append(td.DocIDs, fmt.Sprint("d", i))
		td.Docs = append(td.Docs, "")
	}
	for q := 0; q < nq; q++ {
		td.QueryIDs = append(td.QueryIDs, fmt.Sprint("q", q))
		td.Queries = append(td.Queries, "")
	}
	ix := index.New(d)
	if err := ix.Add(td.DocIDs, dv); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Dim: d, Hidden: 4, Features: Features{ScoreFeature: true, NoVectors: true}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.wr.Value.Data {
		a.wr.Value.Data[i] = 0
	}
	a.wr.Value.Data[len(a.wr.Value.Data)-1] = -20 // the score feature's weight
	adapters := []*Adapter{a, a}
	hits := ix.Search(qv, nq, 60)
	grid := []float64{0, 0.5, 5, 50}
	rr, err := NewReranker(adapters, 0.05, RerankConfig{K: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		rank  int // the rank (0-based) of each query's relevant document
		gains int // how many queries have it there; the others at rank 50
		want  float64
	}{{"first hit relevant", 0, nq, 0}, {"20th hit relevant", 19, nq, 5}, {"20th hit relevant for 2 queries", 19, 2, 0}} {
		td.Positives = make([][]int32, nq)
		for q := range td.Positives {
			r := c.rank
			if q >= c.gains {
				r = 50
			}
			td.Positives[q] = []int32{int32(hits[q][r].Doc)}
		}
		got, scores, p, err := rr.TuneLambda(ix, td, qv, grid)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: λ %g (nDCG@10 per λ %v, p %g), want %g", c.name, got, scores, p, c.want)
		}
		if c.rank == 0 && scores[0] != 1 {
			t.Errorf("%s: nDCG@10 %g without reranking, want 1", c.name, scores[0])
		}
		if c.gains == 2 && (scores[2] <= scores[0] || p < 0.05) {
			t.Errorf("%s: nDCG@10 per λ %v, p %g: want λ 5 best by mean but not significantly", c.name, scores, p)
		}
	}
	if _, _, _, err := rr.TuneLambda(ix, td, qv, nil); err == nil {
		t.Error("empty grid accepted")
	}
}
