package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSearchBruteForce compares Search with a float64 scan on random data
// that includes duplicated documents (exact float64 ties), at 1, 2 and 8
// threads, which must also agree with each other bit for bit. (At 8
// threads, up to 7 queries take the path that splits each query's
// documents into segments.)
func TestSearchBruteForce(t *testing.T) {
	tests := []struct{ n, d, nq, k int }{
		{1, 3, 1, 5}, // k > n
		{50, 16, 1, 10},
		{300, 7, 2, 300}, // k == n, d not a multiple of 8
		{1000, 32, 5, 17},
		{5000, 64, 64, 100},
		{20000, 24, 1, 10}, // several document blocks, row-dot kernel
		{20000, 24, 3, 10}, // several document blocks, SGEMM
		{7000, 16, 5, 1000},
		{3000, 16, 300, 5}, // two query blocks
		{100, 384, 4, 150},
	}
	r := rand.New(rand.NewPCG(7, 11))
	for _, tc := range tests {
		name := fmt.Sprintf("n%d/d%d/nq%d/k%d", tc.n, tc.d, tc.nq, tc.k)
		t.Run(name, func(t *testing.T) {
			docs := randVecs(r, tc.n, tc.d)
			for j := 10; j < tc.n; j += 10 { // every tenth a copy of an earlier one
				copy(docs[j*tc.d:(j+1)*tc.d], docs[(j-7)*tc.d:])
			}
			f := newFlat(t, tc.d, docs)
			queries := randVecs(r, tc.nq, tc.d)
			var results [][][]Hit
			for _, th := range []int{1, 2, 8} {
				var got [][]Hit
				withThreads(th, func() { got = f.Search(queries, tc.nq, tc.k) })
				results = append(results, got)
			}
			for i, got := range results[1:] {
				if !sameHits(got, results[0]) {
					t.Fatalf("threads %d and 1 differ", []int{2, 8}[i])
				}
			}
			swaps := 0
			for q, hits := range results[0] {
				e := scoreExact(queries[q*tc.d:(q+1)*tc.d], docs, tc.d)
				swaps += checkAgainst(t, e, hits, tc.k, fmt.Sprintf("query %d", q))
			}
			if swaps > 0 {
				t.Logf("%d rank(s) swapped between float64 near-ties", swaps)
			}
		})
	}
}

// TestSearchExactTies uses small integer vectors, whose inner products are
// exact in float32 in any summation order, so that many documents tie: the
// result must be exactly the float64 scan's, ties in index order.
func TestSearchExactTies(t *testing.T) {
	const n, d = 17000, 16 // crosses a document block at one query
	r := rand.New(rand.NewPCG(3, 5))
	ints := func(m int) []float32 {
		v := make([]float32, m)
		for i := range v {
			v[i] = float32(r.IntN(5) - 2)
		}
		return v
	}
	docs := ints(n * d)
	f := newFlat(t, d, docs)
	for _, nq := range []int{1, 2, 5} {
		queries := ints(nq * d)
		for _, k := range []int{1, 10, 1000} {
			for _, th := range []int{1, 2, 8} {
				var got [][]Hit
				withThreads(th, func() { got = f.Search(queries, nq, k) })
				for q := range nq {
					e := scoreExact(queries[q*d:(q+1)*d], docs, d)
					want := wantHits(e, k)
					if !sameHits(got[q:q+1], [][]Hit{want}) {
						t.Fatalf("nq=%d k=%d threads=%d query %d:\n got %v\nwant %v", nq, k, th, q, head(got[q]), head(want))
					}
				}
			}
		}
	}
}

// TestSearchNaN checks that NaN scores rank after every number, in index
// order, and that infinities rank as numbers.
func TestSearchNaN(t *testing.T) {
	const d = 4
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	docs := []float32{
		1, 0, 0, 0, // 0: 1
		nan, 0, 0, 0, // 1: NaN
		2, 0, 0, 0, // 2: 2
		inf, 0, 0, 0, // 3: +Inf
		0, 0, 0, 0, // 4: 0
		0, nan, 0, 0, // 5: NaN
		-inf, 0, 0, 0, // 6: −Inf
		1, 0, 0, 0, // 7: 1, ties with 0
		inf, -inf, 0, 0, // 8: Inf − Inf = NaN
	}
	f := newFlat(t, d, docs)
	q := []float32{1, 1, 0, 0}
	qNaN := []float32{1, 0, nan, 0}
	tests := []struct {
		name  string
		query []float32
		k     int
		want  []int
	}{
		{"all", q, 9, []int{3, 2, 0, 7, 4, 6, 1, 5, 8}},
		{"top3", q, 3, []int{3, 2, 0}},
		{"numbers only", q, 6, []int{3, 2, 0, 7, 4, 6}},
		{"NaN query", qNaN, 4, []int{0, 1, 2, 3}},
	}
	for _, tc := range tests {
		for _, nq := range []int{1, 4} { // row-dot kernel and SGEMM
			queries := slices.Repeat(tc.query, nq)
			for _, th := range []int{1, 2, 8} {
				var got [][]Hit
				withThreads(th, func() { got = f.Search(queries, nq, tc.k) })
				for qi, hits := range got {
					docs := make([]int, len(hits))
					for i, h := range hits {
						docs[i] = h.Doc
					}
					if !slices.Equal(docs, tc.want) {
						t.Errorf("%s nq=%d threads=%d query %d: %v, want %v", tc.name, nq, th, qi, hits, tc.want)
					}
					e := scoreExact(tc.query, f.vecs, d)
					for _, h := range hits {
						if w := e.score[h.Doc]; float64(h.Score) != w && !(math.IsNaN(w) && h.Score != h.Score) {
							t.Errorf("%s: document %d scored %v, want %v", tc.name, h.Doc, h.Score, w)
						}
					}
				}
			}
		}
	}
}

func TestSearchEdges(t *testing.T) {
	empty := New(3)
	if got := empty.Search(make([]float32, 6), 2, 5); len(got) != 2 || len(got[0]) != 0 || len(got[1]) != 0 {
		t.Errorf("empty index: %v", got)
	}
	f := newFlat(t, 2, []float32{1, 0, 0, 1, 1, 1})
	if got := f.Search([]float32{1, 1}, 1, 0); len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("k=0: %v", got)
	}
	if got := f.Search(nil, 0, 3); len(got) != 0 {
		t.Errorf("nq=0: %v", got)
	}
	one := f.SearchOne([]float32{2, 1}, 2)
	if want := []Hit{{2, 3}, {0, 2}}; !slices.Equal(one, want) {
		t.Errorf("SearchOne = %v, want %v", one, want)
	}
	for name, fn := range map[string]func(){
		"short queries": func() { f.Search([]float32{1, 2, 3}, 2, 1) },
		"negative k":    func() { f.Search([]float32{1, 2}, 1, -1) },
		"negative nq":   func() { f.Search(nil, -1, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

// TestSearchAllocs checks that Search allocates no more for a larger
// corpus: nothing per document or per block.
func TestSearchAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const d = 16
	small, large := newFlat(t, d, randVecs(r, 5000, d)), newFlat(t, d, randVecs(r, 40000, d))
	for _, nq := range []int{1, 8} {
		q := randVecs(r, nq, d)
		for _, th := range []int{1, 2} {
			withThreads(th, func() {
				a := testing.AllocsPerRun(5, func() { small.Search(q, nq, 10) })
				b := testing.AllocsPerRun(5, func() { large.Search(q, nq, 10) })
				if b > a {
					t.Errorf("nq=%d threads=%d: %v allocations for 40000 documents, %v for 5000", nq, th, b, a)
				}
			})
		}
	}
}

// TestSearchConcurrent runs searches of both kinds from several goroutines
// at once (for the race detector) and checks them against one at a time.
func TestSearchConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const d = 16
	f := newFlat(t, d, randVecs(r, 3000, d))
	queries := randVecs(r, 8, d)
	want := [][][]Hit{f.Search(queries, 1, 5), f.Search(queries, 8, 5)}
	done := make(chan [][]Hit)
	for g := range 4 {
		go func() { done <- f.Search(queries, []int{1, 8}[g%2], 5) }()
	}
	for range 4 {
		got := <-done
		if w := want[min(len(got)-1, 1)]; !sameHits(got, w) {
			t.Errorf("concurrent search of %d queries differs", len(got))
		}
	}
}

// wantHits returns the float64 scan's top k with their scores as float32.
func wantHits(e exact, k int) []Hit {
	var hs []Hit
	for _, j := range e.top(k) {
		hs = append(hs, Hit{j, float32(e.score[j])})
	}
	return hs
}

func head(h []Hit) []Hit { return h[:min(len(h), 12)] }
