package index

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBefore(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	tests := []struct {
		a, b Hit
		want bool
	}{
		{Hit{5, 2}, Hit{1, 1}, true},
		{Hit{1, 1}, Hit{5, 2}, false},
		{Hit{1, 3}, Hit{2, 3}, true}, // tie: lower index first
		{Hit{2, 3}, Hit{1, 3}, false},
		{Hit{2, 3}, Hit{2, 3}, false}, // strict
		{Hit{1, 0}, Hit{2, negZero}, true},
		{Hit{2, 0}, Hit{1, negZero}, false}, // −0 == +0: index decides
		{Hit{9, -inf}, Hit{1, nan}, true},   // any number before NaN
		{Hit{1, nan}, Hit{9, -inf}, false},
		{Hit{1, nan}, Hit{2, nan}, true}, // NaNs by index
		{Hit{2, nan}, Hit{1, nan}, false},
		{Hit{3, inf}, Hit{1, 1e38}, true},
	}
	for _, tc := range tests {
		if got := before(tc.a, tc.b); got != tc.want {
			t.Errorf("before(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		c := CompareHits(tc.a, tc.b)
		if (c < 0) != tc.want {
			t.Errorf("CompareHits(%v, %v) = %d, want <0: %v", tc.a, tc.b, c, tc.want)
		}
	}
}

// TestTopk feeds random scores (with ties and NaNs) to a heap in chunks,
// and to three heaps over interleaved segments that are then merged, as
// Search does, and compares with sorting everything.
func TestTopk(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 100, 1000} {
		for _, k := range []int{1, 3, 10, 100, 2000} {
			scores := make([]float32, n)
			for i := range scores {
				switch x := r.IntN(10); {
				case x == 0:
					scores[i] = float32(math.NaN())
				case x < 4:
					scores[i] = float32(r.IntN(3)) // ties
				default:
					scores[i] = float32(r.NormFloat64())
				}
			}
			all := make([]Hit, n)
			for i, s := range scores {
				all[i] = Hit{i, s}
			}
			slices.SortFunc(all, CompareHits)
			want := all[:min(k, n)]

			// One heap over everything, fed in uneven chunks.
			kk := min(k, n)
			h := newTopk(make([]Hit, kk))
			thr := noThreshold
			for lo := 0; lo < n; {
				hi := min(n, lo+1+r.IntN(50))
				thr = h.offer(scores[lo:hi], lo, thr)
				lo = hi
			}
			got := slices.Clone(h.hits)
			slices.SortFunc(got, CompareHits)
			if !sameHits([][]Hit{got}, [][]Hit{want}) {
				t.Fatalf("n=%d k=%d: offer gave %v, want %v", n, k, got, want)
			}

			// Three heaps over interleaved segments, merged.
			var parts [3]topk
			var thrs [3]float32
			for i := range parts {
				parts[i], thrs[i] = newTopk(make([]Hit, kk)), noThreshold
			}
			for lo := 0; lo < n; lo += 30 {
				for g := range parts {
					a, b := min(n, lo+10*g), min(n, lo+10*(g+1))
					thrs[g] = parts[g].offer(scores[a:b], a, thrs[g])
				}
			}
			m := newTopk(make([]Hit, kk))
			for _, p := range parts {
				m.merge(p.hits)
			}
			slices.SortFunc(m.hits, CompareHits)
			if !sameHits([][]Hit{m.hits}, [][]Hit{want}) {
				t.Fatalf("n=%d k=%d: merged segments gave %v, want %v", n, k, m.hits, want)
			}
		}
	}
}
