package index

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// clustered returns n unit vectors of dimension d around c random unit
// centres: centre + spread·N(0, I/d), normalised; document i belongs to
// centre i%c.
func clustered(r *rand.Rand, n, d, c int, spread float64) []float32 {
	centres := randVecs(r, c, d)
	for j := range c {
		normalize(centres[j*d : (j+1)*d])
	}
	v := make([]float32, n*d)
	sd := spread / math.Sqrt(float64(d))
	for i := range n {
		row := v[i*d : (i+1)*d]
		ctr := centres[(i%c)*d : (i%c+1)*d]
		for t := range row {
			row[t] = ctr[t] + float32(sd*r.NormFloat64())
		}
		normalize(row)
	}
	return v
}

// recallAt returns the mean over queries of |got ∩ want| / |want|.
func recallAt(got, want [][]Hit) float64 {
	var sum float64
	for q := range want {
		in := map[int]bool{}
		for _, h := range want[q] {
			in[h.Doc] = true
		}
		hit := 0
		for _, h := range got[q] {
			if in[h.Doc] {
				hit++
			}
		}
		sum += float64(hit) / float64(len(want[q]))
	}
	return sum / float64(len(want))
}

func searchIVF(t testing.TB, x *IVF, qs []float32, nq, k int, opt SearchOptions) [][]Hit {
	t.Helper()
	res, err := x.Search(qs, nq, k, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestIVFExhaustiveIsExact checks that probing every list gives a Flat's
// results bit for bit, scores included: for one query (row-dot kernel)
// and for a block of queries (SGEMM), IVF-Flat and SQ8 re-scored in full.
func TestIVFExhaustiveIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, d, nl = 2000, 48, 12
	vecs := clustered(r, n, d, 20, 0.6)
	f := newFlat(t, d, vecs)
	qs := clustered(r, 40, d, 20, 0.6)
	for _, tc := range []struct {
		name string
		cfg  IVFConfig
		opt  SearchOptions
	}{
		{"flat", IVFConfig{NList: nl, Seed: 3}, SearchOptions{NProbe: nl}},
		{"sq8 rescored", IVFConfig{NList: nl, Seed: 3, SQ8: true}, SearchOptions{NProbe: nl, Rescore: n}},
	} {
		x, err := BuildIVF(f, tc.cfg, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, nq := range []int{1, 2, 40} {
			want := f.Search(qs, nq, 10)
			got := searchIVF(t, x, qs, nq, 10, tc.opt)
			if tc.name == "sq8 rescored" && nq >= gemmQueries {
				// Re-scoring uses the row-dot kernel at every nq.
				for q := range want {
					want[q] = f.SearchOne(qs[q*d:(q+1)*d], 10)
				}
			}
			if !sameHits(got, want) {
				t.Errorf("%s nq=%d: IVF with every list probed differs from Flat:\n got %v\nwant %v", tc.name, nq, got[0], want[0])
			}
		}
	}
}

// TestIVFRecall checks recall@10 against exact search on clustered data
// as nprobe grows, and that it never falls.
func TestIVFRecall(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, d, nl = 6000, 64, 32
	vecs := clustered(r, n, d, 50, 0.9)
	f := newFlat(t, d, vecs)
	const nq = 64
	qs := clustered(r, nq, d, 50, 0.9)
	want := f.Search(qs, nq, 10)
	for _, sq8 := range []bool{false, true} {
		x, err := BuildIVF(f, IVFConfig{NList: nl, Seed: 1, SQ8: sq8}, true)
		if err != nil {
			t.Fatal(err)
		}
		prev := 0.0
		for _, np := range []int{1, 4, 8, 32} {
			opt := SearchOptions{NProbe: np}
			if sq8 {
				opt.Rescore = 50
			}
			rec := recallAt(searchIVF(t, x, qs, nq, 10, opt), want)
			t.Logf("sq8=%v nprobe=%d recall@10 %.3f", sq8, np, rec)
			if rec+1e-9 < prev {
				t.Errorf("sq8=%v: recall fell from %.3f to %.3f at nprobe %d", sq8, prev, rec, np)
			}
			prev = rec
			if np == 8 && rec < 0.9 {
				t.Errorf("sq8=%v: recall@10 %.3f at nprobe 8 of 32 lists, want ≥ 0.9", sq8, rec)
			}
			if np == nl && rec != 1 {
				t.Errorf("sq8=%v: recall@10 %.3f probing every list, want 1", sq8, rec)
			}
		}
	}
}

// TestIVFThreads checks that results and the trained quantizer do not
// depend on the thread count.
func TestIVFThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, d = 3000, 40
	vecs := clustered(r, n, d, 30, 0.8)
	f := newFlat(t, d, vecs)
	qs := clustered(r, 70, d, 30, 0.8)
	for _, sq8 := range []bool{false, true} {
		var base *IVF
		var baseRes [][][]Hit
		for _, th := range []int{1, 2, 3} {
			withThreads(th, func() {
				x, err := BuildIVF(f, IVFConfig{NList: 16, Seed: 9, SQ8: sq8}, false)
				if err != nil {
					t.Fatal(err)
				}
				var res [][][]Hit
				for _, nq := range []int{1, 2, 70} {
					res = append(res, searchIVF(t, x, qs, nq, 7, SearchOptions{NProbe: 3}))
				}
				if base == nil {
					base, baseRes = x, res
					return
				}
				if !x.q.equal(base.q) {
					t.Errorf("sq8=%v: quantizer trained on %d threads differs from 1 thread's", sq8, th)
				}
				for i := range res {
					if !sameHits(res[i], baseRes[i]) {
						t.Errorf("sq8=%v: results on %d threads differ from 1 thread's (case %d)", sq8, th, i)
					}
				}
			})
		}
	}
}

// purity returns Σ over lists of the largest number of one cluster's
// documents in the list, over n: 1 when no list mixes clusters.
func purity(assign []int32, c int) float64 {
	count := map[[2]int]int{}
	for i, l := range assign {
		count[[2]int{int(l), i % c}]++
	}
	best := map[int]int{}
	for k, v := range count {
		best[k[0]] = max(best[k[0]], v)
	}
	sum := 0
	for _, v := range best {
		sum += v
	}
	return float64(sum) / float64(len(assign))
}

// TestKMeans checks that spherical k-means separates well-separated
// clusters (random initialisation, as FAISS's, may leave one cluster
// without a centroid of its own, so one list may mix two at nlist equal to
// the cluster count; with four lists per cluster none should), that the
// objective does not fall with more rounds, that it is fixed by its seed,
// and that its centroids have unit norm.
func TestKMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, d, c = 1600, 32, 8
	vecs := clustered(r, n, d, c, 0.2)
	objective := func(q *Quantizer) (float64, []int32) {
		assign := make([]int32, n)
		assignRows(vecs, n, d, q.centroids, q.nlist, assign, make([]float32, n*q.nlist))
		var obj float64
		for i, l := range assign {
			for t, v := range vecs[i*d : (i+1)*d] {
				obj += float64(v) * float64(q.centroids[int(l)*d+t])
			}
		}
		return obj, assign
	}
	for _, tc := range []struct {
		nlist     int
		minPurity float64
	}{{c, 0.85}, {4 * c, 1}} {
		q1, err := TrainQuantizer(vecs, n, d, IVFConfig{NList: tc.nlist, Seed: 4, Iterations: 1})
		if err != nil {
			t.Fatal(err)
		}
		q, err := TrainQuantizer(vecs, n, d, IVFConfig{NList: tc.nlist, Seed: 4, Iterations: 25})
		if err != nil {
			t.Fatal(err)
		}
		o1, _ := objective(q1)
		o, assign := objective(q)
		if o < o1 {
			t.Errorf("nlist %d: objective fell from %.3f (1 round) to %.3f (25)", tc.nlist, o1, o)
		}
		if p := purity(assign, c); p < tc.minPurity {
			t.Errorf("nlist %d: purity %.3f, want ≥ %.2f", tc.nlist, p, tc.minPurity)
		}
		for j := range tc.nlist {
			var s float64
			for _, v := range q.centroids[j*d : (j+1)*d] {
				s += float64(v) * float64(v)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Errorf("nlist %d: centroid %d has squared norm %v", tc.nlist, j, s)
			}
		}
		again, _ := TrainQuantizer(vecs, n, d, IVFConfig{NList: tc.nlist, Seed: 4, Iterations: 25})
		if !again.equal(q) {
			t.Error("the same seed trained a different quantizer")
		}
		other, _ := TrainQuantizer(vecs, n, d, IVFConfig{NList: tc.nlist, Seed: 5, Iterations: 25})
		if other.equal(q) {
			t.Error("another seed trained the same quantizer")
		}
	}
}

// TestKMeansEmptyClusters trains more lists than distinct vectors: empty
// clusters must be split from large ones without a panic, deterministically.
func TestKMeansEmptyClusters(t *testing.T) {
	const d = 8
	var vecs []float32
	for i := range 60 {
		v := make([]float32, d)
		v[i%3] = 1 // three distinct points, twenty copies each
		vecs = append(vecs, v...)
	}
	a, err := TrainQuantizer(vecs, 60, d, IVFConfig{NList: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TrainQuantizer(vecs, 60, d, IVFConfig{NList: 10, Seed: 1})
	if !a.equal(b) {
		t.Error("not deterministic with empty clusters")
	}
	for _, v := range a.centroids {
		if math.IsNaN(float64(v)) {
			t.Fatal("NaN centroid")
		}
	}
	f := newFlat(t, d, vecs)
	x, err := BuildIVF(f, IVFConfig{NList: 10, Seed: 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	res := searchIVF(t, x, vecs[:d], 1, 5, SearchOptions{NProbe: 10})
	if len(res[0]) != 5 || res[0][0].Score != 1 {
		t.Errorf("search over split clusters: %v", res[0])
	}
}

// TestIVFErrors checks every refused input: configuration domains, too few
// vectors, NaN vectors and queries, duplicate ids, re-scoring without
// vectors, negative search arguments.
func TestIVFErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const d = 4
	vecs := randVecs(r, 20, d)
	nan := slices.Clone(vecs)
	nan[9] = float32(math.NaN())
	for _, tc := range []struct {
		name string
		vecs []float32
		n    int
		cfg  IVFConfig
		want string
	}{
		{"nlist 0", vecs, 20, IVFConfig{}, "nlist 0: must be at least 1"},
		{"iterations", vecs, 20, IVFConfig{NList: 2, Iterations: 1001}, "iterations 1001"},
		{"negative iterations", vecs, 20, IVFConfig{NList: 2, Iterations: -1}, "iterations -1"},
		{"sample", vecs, 20, IVFConfig{NList: 4, Sample: 3}, "sample 3: must be at least nlist"},
		{"too few", vecs, 20, IVFConfig{NList: 21}, "20 vectors for nlist 21"},
		{"length", vecs[:7], 20, IVFConfig{NList: 2}, "7 values for 20 vectors"},
		{"nan", nan, 20, IVFConfig{NList: 2}, "vector 2, dimension 1 is NaN"},
	} {
		_, err := TrainQuantizer(tc.vecs, tc.n, d, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}

	q, err := TrainQuantizer(vecs, 20, d, IVFConfig{NList: 2, SQ8: true})
	if err != nil {
		t.Fatal(err)
	}
	x := NewIVF(q, false)
	if err := x.Add(seqIDs(0, 20), vecs); err != nil {
		t.Fatal(err)
	}
	if err := x.Add([]string{"doc3"}, vecs[:d]); err == nil || !strings.Contains(err.Error(), `duplicate id "doc3"`) {
		t.Errorf("duplicate: %v", err)
	}
	if err := x.Add([]string{"a", "b"}, nan[8:16]); err == nil || !strings.Contains(err.Error(), `document "a", dimension 1 is NaN`) {
		t.Errorf("NaN add: %v", err)
	}
	if x.Len() != 20 {
		t.Errorf("a failed Add changed the index: %d documents", x.Len())
	}
	for _, tc := range []struct {
		name  string
		q     []float32
		nq, k int
		opt   SearchOptions
		want  string
	}{
		{"negative k", vecs[:d], 1, -1, SearchOptions{}, "negative nq=1 or k=-1"},
		{"negative nprobe", vecs[:d], 1, 1, SearchOptions{NProbe: -2}, "nprobe -2"},
		{"negative rescore", vecs[:d], 1, 1, SearchOptions{Rescore: -1}, "rescore -1"},
		{"rescore without vectors", vecs[:d], 1, 1, SearchOptions{Rescore: 5}, "does not keep float32 vectors"},
		{"short queries", vecs[:d], 2, 1, SearchOptions{}, "4 values for 2 queries"},
		{"nan query", nan[8:12], 1, 1, SearchOptions{}, "dimension 1 is NaN"},
	} {
		_, err := x.Search(tc.q, tc.nq, tc.k, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		if tc.name == "rescore without vectors" && !errors.Is(err, ErrNoVectors) {
			t.Errorf("%s: %v does not wrap ErrNoVectors", tc.name, err)
		}
	}
}
