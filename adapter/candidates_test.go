package adapter

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rrra/rrra/retrieval/index"
)

// TestRerankCandidates reranks candidates handed in from outside (the
// exact search's own, shuffled into another system's order) and checks
// the result against the reranker's search of the index: the same
// documents in the same order, scores equal to float32 rounding. The
// candidates' order decides which K are reranked, not their ranking.
func TestRerankCandidates(t *testing.T) {
	const n, d, nq, k = 300, 16, 5, 20
	rng := rand.New(rand.NewPCG(7, 8))
	ix := index.New(d)
	ids := make([]string, n)
	vecs := make([]float32, n*d)
	for i := range ids {
		ids[i] = "d" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	for i := range vecs {
		vecs[i] = float32(rng.NormFloat64())
	}
	if err := ix.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	qv := make([]float32, nq*d)
	for i := range qv {
		qv[i] = float32(rng.NormFloat64())
	}
	texts := make([]string, nq)
	qids := []string{"q1", "q2", "q3", "q4", "q5"}
	a, err := New(DefaultConfig(d), 3)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := NewReranker(Folds{a}, 0.05, RerankConfig{K: k, Lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	want, err := rr.Search(ix, qids, texts, qv)
	if err != nil {
		t.Fatal(err)
	}
	hits := ix.Search(qv, nq, k)
	for q := range nq {
		docs := make([]int, k)
		for i, h := range hits[q] {
			docs[i] = h.Doc
		}
		rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		// Beyond the depth: never reranked, whatever they score.
		docs = append(docs, (docs[0]+1)%n, (docs[1]+1)%n)
		cands, err := ScoreCandidates(ix, qv[q*d:(q+1)*d], docs)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := rr.Rerank(ix, texts[q], qv[q*d:(q+1)*d], cands)
		w := want[qids[q]]
		if len(got) != len(w) {
			t.Fatalf("%s: %d reranked, want %d", qids[q], len(got), len(w))
		}
		for i := range got {
			if ix.ID(got[i].Doc) != w[i].DocID || math.Abs(float64(got[i].Score)-w[i].Score) > 1e-5*math.Max(1, math.Abs(w[i].Score)) {
				t.Errorf("%s rank %d: %s %g, want %s %g", qids[q], i+1, ix.ID(got[i].Doc), got[i].Score, w[i].DocID, w[i].Score)
			}
		}
	}
	for _, tc := range []struct {
		qv   []float32
		docs []int
		want string
	}{
		{qv[:d], []int{0, n}, "document 300 of a collection of 300"},
		{qv[:d], []int{-1}, "document -1"},
		{qv[:d-1], []int{0}, "dimension 15"},
	} {
		if _, err := ScoreCandidates(ix, tc.qv, tc.docs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ScoreCandidates(%v): %v, want an error containing %q", tc.docs, err, tc.want)
		}
	}
}

// TestRerankListsRefuses: a candidate without a vector (a database that
// did not return it) would be read as zeros; RerankLists refuses it, and
// lists that do not match the texts and query vectors.
func TestRerankListsRefuses(t *testing.T) {
	const d = 8
	a, err := New(DefaultConfig(d), 1)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := NewReranker(Folds{a}, 0.05, RerankConfig{K: 10, Lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, d)
	sv := &SparseVectors{D: d, N: 5, M: map[int][]float32{0: v, 1: v}}
	qv := make([]float32, d)
	for _, tc := range []struct {
		texts []string
		qv    []float32
		lists [][]index.Hit
		want  string
	}{
		{[]string{"q"}, qv, [][]index.Hit{{{Doc: 0}, {Doc: 2}}}, "document 2 has no vector"},
		{[]string{"q"}, qv, [][]index.Hit{{{Doc: 7}}}, "document 7 has no vector"},
		{[]string{"q", "r"}, qv, [][]index.Hit{{{Doc: 0}}}, "1 candidate lists, 2 texts"},
	} {
		if _, err := rr.RerankLists(sv, tc.texts, tc.qv, tc.lists); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RerankLists(%v): %v, want an error containing %q", tc.lists, err, tc.want)
		}
	}
	got, err := rr.RerankLists(sv, []string{"q"}, qv, [][]index.Hit{{{Doc: 1, Score: 2}, {Doc: 0, Score: 1}}})
	if err != nil || len(got) != 1 || len(got[0]) != 2 {
		t.Errorf("RerankLists of served candidates: %v, %v", got, err)
	}
}
