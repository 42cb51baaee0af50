package index

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rrra/rrra/kernels"
)

// randVecs returns n random vectors of dimension d with normal entries.
func randVecs(r *rand.Rand, n, d int) []float32 {
	v := make([]float32, n*d)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// seqIDs returns the ids "doc0", "doc1", … starting at from.
func seqIDs(from, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc%d", from+i)
	}
	return ids
}

// newFlat returns an index of the given vectors with ids from seqIDs.
func newFlat(t testing.TB, d int, vecs []float32) *Flat {
	t.Helper()
	f := New(d)
	if err := f.Add(seqIDs(0, len(vecs)/d), vecs); err != nil {
		t.Fatal(err)
	}
	return f
}

// withThreads runs fn with kernels.SetThreads(n), restoring it after.
func withThreads(n int, fn func()) {
	prev := kernels.SetThreads(n)
	defer kernels.SetThreads(prev)
	fn()
}

// exact holds the float64 scores of one query against every document, and
// Σ|qᵢxᵢ| per document, the scale of its float32 rounding error.
type exact struct {
	score, scale []float64
}

func scoreExact(q, docs []float32, d int) exact {
	n := len(docs) / d
	e := exact{make([]float64, n), make([]float64, n)}
	for j := range n {
		var s, a float64
		for p, x := range docs[j*d : (j+1)*d] {
			v := float64(q[p]) * float64(x)
			s += v
			a += math.Abs(v)
		}
		e.score[j], e.scale[j] = s, a
	}
	return e
}

// top returns the k best documents by float64 score in the package's
// order: score descending, NaN last, ties by lower index.
func (e exact) top(k int) []int {
	idx := make([]int, len(e.score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		sa, sb := e.score[a], e.score[b]
		if na, nb := math.IsNaN(sa), math.IsNaN(sb); na || nb {
			if na && nb {
				return cmp.Compare(a, b)
			}
			if na {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return idx[:min(k, len(idx))]
}

// relTol is the float64 gap, relative to Σ|qᵢxᵢ|, below which two
// documents count as tied for float32 scores.
const relTol = 1e-5

// checkAgainst checks hits against the float64 brute force: the same
// documents in the same order, except that where the float64 scores of the
// expected and the returned document at a rank differ by less than relTol
// (relative) either may appear. It returns how many ranks differed.
func checkAgainst(t *testing.T, e exact, hits []Hit, k int, what string) (swaps int) {
	t.Helper()
	want := e.top(k)
	if len(hits) != len(want) {
		t.Fatalf("%s: %d hits, want %d", what, len(hits), len(want))
	}
	seen := make(map[int]bool, len(hits))
	for i, h := range hits {
		if seen[h.Doc] {
			t.Fatalf("%s: document %d returned twice", what, h.Doc)
		}
		seen[h.Doc] = true
		g, w := h.Doc, want[i]
		tol := relTol * max(e.scale[g], e.scale[w], 1e-30)
		if d := math.Abs(float64(h.Score) - e.score[g]); !(d <= tol) {
			t.Fatalf("%s: rank %d: document %d scored %v, float64 %v", what, i, g, h.Score, e.score[g])
		}
		if g == w {
			continue
		}
		if gap := math.Abs(e.score[g] - e.score[w]); !(gap <= tol) {
			t.Fatalf("%s: rank %d: document %d (float64 %v), want %d (float64 %v); gap %.3g > tolerance %.3g",
				what, i, g, e.score[g], w, e.score[w], gap, tol)
		}
		swaps++
	}
	return swaps
}

// sameHits reports whether a and b hold the same hits, scores compared bit
// for bit (so NaN equals NaN).
func sameHits(a, b [][]Hit) bool {
	return slices.EqualFunc(a, b, func(x, y []Hit) bool {
		return slices.EqualFunc(x, y, func(p, q Hit) bool {
			return p.Doc == q.Doc && math.Float32bits(p.Score) == math.Float32bits(q.Score)
		})
	})
}
