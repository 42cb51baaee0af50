package adapter

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// hybridToy returns a ranker over a small corpus with random unit vectors,
// and its documents' texts.
func hybridToy(t *testing.T, k int) (*HybridRanker, []string) {
	t.Helper()
	words := []string{"wing", "lift", "shock", "wave", "boundary", "layer", "heat", "transfer", "flow", "plate", "supersonic", "drag"}
	r := rand.New(rand.NewPCG(9, 9))
	const n, d = 60, 8
	var texts, ids []string
	b := bm25.New(bm25.DefaultParams())
	vecs := make([]float32, n*d)
	for i := range n {
		var doc []string
		for range 3 + r.IntN(6) {
			doc = append(doc, words[r.IntN(len(words))])
		}
		text := ""
		for _, w := range doc {
			text += w + " "
		}
		id := string(rune('a'+i/26)) + string(rune('a'+i%26))
		texts, ids = append(texts, text), append(ids, id)
		b.Add(id, text)
		for j := range d {
			vecs[i*d+j] = float32(r.NormFloat64())
		}
	}
	ix := index.New(d)
	if err := ix.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	return &HybridRanker{Index: ix, BM25: b.Build(), K: k, Scale: 20}, texts
}

// TestHybridCandidates checks the candidate set is the union of the two
// top-K lists, that every candidate carries both exact scores and its
// ranks, and the features against their definitions recomputed here.
func TestHybridCandidates(t *testing.T) {
	h, _ := hybridToy(t, 10)
	qv := []float32{0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.05, -0.1}
	query := "shock wave drag"
	cs, err := h.Candidates(query, qv)
	if err != nil {
		t.Fatal(err)
	}
	// The ranker's scratch memory carries nothing from one query to the
	// next: another query in between, from several goroutines, changes
	// nothing.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Candidates("supersonic flow over a cone", qv); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	again, err := h.Candidates(query, qv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, cs) {
		t.Fatalf("the same query gives other candidates after others ran")
	}
	dense := h.Index.SearchOne(qv, 10)
	lex := h.BM25.Search(query, 10)
	want := map[int]bool{}
	for _, x := range dense {
		want[x.Doc] = true
	}
	for _, x := range lex {
		want[x.Doc] = true
	}
	if len(cs) != len(want) {
		t.Fatalf("%d candidates, want the union's %d", len(cs), len(want))
	}
	for _, c := range cs {
		if !want[c.Doc] {
			t.Fatalf("document %d is in neither list", c.Doc)
		}
		dot := 0.0
		for j, x := range h.Index.Vector(c.Doc) {
			dot += float64(x) * float64(qv[j])
		}
		if math.Abs(float64(c.Dense)-dot) > 1e-5 {
			t.Errorf("doc %d: dense %v, want %v", c.Doc, c.Dense, dot)
		}
		if got := h.BM25.Score(query, c.Doc); c.BM25 != got {
			t.Errorf("doc %d: BM25 %v, want %v", c.Doc, c.BM25, got)
		}
		dr := slices.IndexFunc(dense, func(x index.Hit) bool { return x.Doc == c.Doc }) + 1
		br := slices.IndexFunc(lex, func(x bm25.Hit) bool { return x.Doc == c.Doc }) + 1
		if c.DenseRank != dr || c.BM25Rank != br {
			t.Errorf("doc %d: ranks %d and %d, want %d and %d", c.Doc, c.DenseRank, c.BM25Rank, dr, br)
		}
		m, n := h.BM25.Overlap(query, c.Doc)
		rrf := 0.0
		for _, r := range []int{dr, br} {
			if r > 0 {
				rrf += 1 / (60 + float64(r))
			}
		}
		disc := func(r int) float64 {
			if r == 0 {
				return 0
			}
			return 1 / math.Log2(1+float64(r))
		}
		wantX := []float64{math.Max(float64(c.Dense-dense[0].Score)*20, -30), float64(c.Dense), float64(c.BM25 / lex[0].Score),
			math.Log1p(float64(c.BM25)), disc(dr), disc(br), float64(m) / float64(n), math.Log1p(float64(n)), rrf * 61 / 2,
			minmax(cs, c, func(x HybridCandidate) float32 { return x.Dense }), minmax(cs, c, func(x HybridCandidate) float32 { return x.BM25 })}
		for j, w := range wantX {
			if math.Abs(float64(c.Feats[j])-w) > 1e-5*math.Max(1, math.Abs(w)) {
				t.Errorf("doc %d: feature %s %v, want %v", c.Doc, FusionFeatureNames[j], c.Feats[j], w)
			}
		}
	}
}

// TestHybridRRFMatchesFuseRRF checks the ranker without a fusion ranks as
// retrieval.FuseRRF does over the same two lists.
func TestHybridRRFMatchesFuseRRF(t *testing.T) {
	h, _ := hybridToy(t, 15)
	r := rand.New(rand.NewPCG(2, 3))
	texts := []string{"shock wave", "boundary layer heat transfer", "lift drag wing", "flow plate"}
	qv := make([]float32, len(texts)*8)
	for i := range qv {
		qv[i] = float32(r.NormFloat64())
	}
	qids := []string{"q1", "q2", "q3", "q4"}
	run, err := h.Search(qids, texts, qv, 15)
	if err != nil {
		t.Fatal(err)
	}
	// The two lists as runs whose scores fall with the rank, so that
	// FuseRRF ranks each as the ranker did (BM25 has ties, which
	// trec_eval's order would break the other way).
	denseRun, bmRun := metrics.Run{}, metrics.Run{}
	hits := h.Index.Search(qv, len(texts), 15)
	for q, qid := range qids {
		for r, x := range hits[q] {
			denseRun[qid] = append(denseRun[qid], metrics.Result{DocID: h.Index.ID(x.Doc), Score: -float64(r)})
		}
		for r, x := range h.BM25.Search(texts[q], 15) {
			bmRun[qid] = append(bmRun[qid], metrics.Result{DocID: h.Index.ID(x.Doc), Score: -float64(r)})
		}
	}
	want, err := retrieval.FuseRRF([]metrics.Run{denseRun, bmRun}, 60, 15)
	if err != nil {
		t.Fatal(err)
	}
	// The same documents with the same fused scores, in falling order
	// (equal scores may come in another order: FuseRRF breaks ties as
	// trec_eval does, by document id, the ranker by document number).
	for _, q := range qids {
		got := map[string]float64{}
		for i, x := range run[q] {
			got[x.DocID] = x.Score
			if i > 0 && x.Score > run[q][i-1].Score {
				t.Fatalf("%s: scores rise at rank %d: %v", q, i+1, run[q])
			}
		}
		if len(run[q]) != len(want[q]) {
			t.Fatalf("%s: %d results, want %d", q, len(run[q]), len(want[q]))
		}
		for _, x := range want[q] {
			if g, ok := got[x.DocID]; !ok || math.Abs(g-x.Score) > 1e-6 {
				t.Fatalf("%s: %v, want FuseRRF's %v", q, run[q], want[q])
			}
		}
	}
}

// TestLinearFusionScores checks the endpoints: α = 1 orders by the dense
// score alone, α = 0 by BM25 alone.
func TestLinearFusionScores(t *testing.T) {
	h, _ := hybridToy(t, 10)
	cs, err := h.Candidates("boundary layer flow", []float32{0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		alpha float64
		key   func(HybridCandidate) float32
	}{{1, func(c HybridCandidate) float32 { return c.Dense }}, {0, func(c HybridCandidate) float32 { return c.BM25 }}} {
		s := LinearFusionScores(cs, c.alpha)
		for i := range cs {
			for j := range cs {
				if c.key(cs[i]) > c.key(cs[j]) && !(s[i] > s[j]) {
					t.Fatalf("α %g: candidate %d scores above %d on its own list but not fused", c.alpha, i, j)
				}
			}
		}
	}
}

// minmax is c's score, by key, min-max normalised over cs.
func minmax(cs []HybridCandidate, c HybridCandidate, key func(HybridCandidate) float32) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range cs {
		lo, hi = math.Min(lo, float64(key(x))), math.Max(hi, float64(key(x)))
	}
	return (float64(key(c)) - lo) / (hi - lo)
}

// TestRankOrder checks rank's integer-key sort against a plain sort by
// (score descending, document ascending), with many tied scores, ±0 and
// infinities, cut at several k.
func TestRankOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2.5, float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, -1e-30}
	for trial := range 200 {
		n := 1 + r.IntN(300)
		cs := make([]HybridCandidate, n)
		perm := r.Perm(10 * n)
		for i := range cs {
			cs[i] = HybridCandidate{Doc: perm[i], Feats: make([]float32, numFusionFeatures)}
			// the RRF feature, which rank turns into the score
			if r.IntN(2) == 0 {
				cs[i].Feats[8] = vals[r.IntN(len(vals))]
			} else {
				cs[i].Feats[8] = float32(r.NormFloat64())
			}
		}
		want := slices.Clone(cs)
		h := &HybridRanker{}
		for i := range want {
			want[i].Score = want[i].Feats[8] * 2 / float32(h.rrfK()+1)
		}
		slices.SortFunc(want, func(a, b HybridCandidate) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return a.Doc - b.Doc
		})
		k := []int{1, 10, n, n + 5}[trial%4]
		got := h.rank(slices.Clone(cs), k)
		if len(got) != min(k, n) {
			t.Fatalf("trial %d: %d ranked, want %d", trial, len(got), min(k, n))
		}
		for i := range got {
			if got[i].Doc != want[i].Doc || got[i].Score != want[i].Score {
				t.Fatalf("trial %d, rank %d: doc %d (%v), want %d (%v)", trial, i+1, got[i].Doc, got[i].Score, want[i].Doc, want[i].Score)
			}
		}
	}
}
