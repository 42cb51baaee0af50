package index

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
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
	if err := x.SetSearchOptions(opt); err != nil {
		t.Fatal(err)
	}
	return x.Search(qs, nq, k)
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
		assignRows(rowSet{x: vecs, d: d}, q.centroids, q.nlist, assign, make([]float32, n*q.nlist), nil)
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
	// A duplicate within one batch: the ids before it must not stay
	// behind, so adding them again afterwards succeeds.
	if err := x.Add([]string{"new1", "new2", "new1"}, vecs[:3*d]); err == nil || !strings.Contains(err.Error(), `duplicate id "new1"`) {
		t.Errorf("duplicate within a batch: %v", err)
	}
	if x.Len() != 20 {
		t.Errorf("a failed Add changed the index: %d documents", x.Len())
	}
	if err := x.Add([]string{"new1", "new2"}, vecs[:2*d]); err != nil {
		t.Errorf("ids of a refused batch stayed behind: %v", err)
	}
	if x.Len() != 22 {
		t.Errorf("after adding 2: %d documents", x.Len())
	}
	for _, tc := range []struct {
		name string
		opt  SearchOptions
		want string
	}{
		{"negative nprobe", SearchOptions{NProbe: -2}, "nprobe -2"},
		{"negative rescore", SearchOptions{Rescore: -1}, "rescore -1"},
		{"rescore without vectors", SearchOptions{Rescore: 5}, "does not keep float32 vectors"},
	} {
		err := x.SetSearchOptions(tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		if tc.name == "rescore without vectors" && !errors.Is(err, ErrNoVectors) {
			t.Errorf("%s: %v does not wrap ErrNoVectors", tc.name, err)
		}
	}
	// A NaN query ranks as in a Flat: NaN scores, after every number.
	hits := x.SearchOne(nan[8:12], 3)
	if len(hits) != 3 || hits[0].Score == hits[0].Score {
		t.Errorf("NaN query: %v, want three NaN-scored hits", hits)
	}
}

// buildSmallIVF returns a small IVF index (SQ8 or not, vectors kept or
// not) with metadata, and its query vectors.
func buildSmallIVF(t testing.TB, sq8, keep bool) (*IVF, []float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(21, 22))
	const n, d = 700, 24
	vecs := clustered(r, n, d, 12, 0.7)
	f := newFlat(t, d, vecs)
	f.SetMeta(map[string]string{"model": "m", "corpus": "c"})
	x, err := BuildIVF(f, IVFConfig{NList: 9, Seed: 2, SQ8: sq8, Iterations: 7, Sample: 500}, keep)
	if err != nil {
		t.Fatal(err)
	}
	return x, clustered(r, 5, d, 12, 0.7)
}

// TestIVFFileRoundTrip saves and loads each kind of IVF index and checks
// that everything survives: configuration, lists, ids, metadata, and the
// search results bit for bit.
func TestIVFFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ sq8, keep bool }{{false, true}, {true, false}, {true, true}} {
		x, qs := buildSmallIVF(t, tc.sq8, tc.keep)
		path := dir + "/x.ivf"
		if err := x.Save(path); err != nil {
			t.Fatal(err)
		}
		for _, skip := range []bool{false, true} {
			y, err := LoadIVF(path, LoadOptions{SkipChecksum: skip})
			if err != nil {
				t.Fatalf("sq8=%v keep=%v: %v", tc.sq8, tc.keep, err)
			}
			if !y.q.equal(x.q) || y.keep != x.keep || !slices.Equal(y.ids, x.ids) ||
				!slices.Equal(y.ListSizes(), x.ListSizes()) || y.Meta()["model"] != "m" {
				t.Errorf("sq8=%v keep=%v: the loaded index differs", tc.sq8, tc.keep)
			}
			opt := SearchOptions{NProbe: 3}
			if tc.sq8 && tc.keep {
				opt.Rescore = 20
			}
			for _, nq := range []int{1, 5} {
				if !sameHits(searchIVF(t, y, qs, nq, 8, opt), searchIVF(t, x, qs, nq, 8, opt)) {
					t.Errorf("sq8=%v keep=%v nq=%d: the loaded index searches differently", tc.sq8, tc.keep, nq)
				}
			}
			if err := y.Add([]string{"new"}, qs[:x.Dim()]); !errors.Is(err, ErrReadOnly) {
				t.Errorf("Add on a loaded index: %v", err)
			}
			if err := y.Close(); err != nil {
				t.Error(err)
			}
		}
		var buf1, buf2 strings.Builder
		x.WriteTo(&buf1)
		y, _ := LoadIVF(path, LoadOptions{})
		y.WriteTo(&buf2)
		y.Close()
		if buf1.String() != buf2.String() {
			t.Errorf("sq8=%v keep=%v: a loaded index writes different bytes", tc.sq8, tc.keep)
		}
	}
}

// TestIVFFileCorrupt checks that every kind of damage is refused with an
// error that names the field: truncation in each section, a flipped byte
// (checksum), and, with the checksum skipped, a corrupt header field, list
// offset, document index or padding.
func TestIVFFileCorrupt(t *testing.T) {
	x, _ := buildSmallIVF(t, true, true)
	var sb strings.Builder
	if _, err := x.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	good := []byte(sb.String())
	h, err := parseIVFHeader(good, "x")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	try := func(name string, b []byte, skip bool, want error, field string) {
		t.Helper()
		path := dir + "/c.ivf"
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadIVF(path, LoadOptions{SkipChecksum: skip})
		if !errors.Is(err, want) || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want %v naming %q and the file", name, err, want, field)
		}
	}
	for _, s := range []struct {
		field string
		at    int
	}{{"header", 50}, {"centroids", h.cent + 8}, {"ranges", h.ranges + 4}, {"list offsets", h.offs + 3},
		{"documents", h.doc + 1}, {"codes", h.codes + 10}, {"vectors", h.vecs + 5}, {"ids", h.ids + 3},
		{"metadata", h.meta + 2}, {"checksum", h.crc + 1}} {
		try("truncated in "+s.field, good[:s.at], false, ErrTruncated, s.field)
	}
	try("trailing data", append(slices.Clone(good), 0), false, ErrFormat, "trailing data")
	flip := slices.Clone(good)
	flip[h.vecs+100] ^= 1
	try("flipped vector bit", flip, false, ErrChecksum, "checksum")

	put64 := func(b []byte, off int, v uint64) []byte {
		c := slices.Clone(b)
		binary.LittleEndian.PutUint64(c[off:], v)
		return c
	}
	put32 := func(b []byte, off int, v uint32) []byte {
		c := slices.Clone(b)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	for _, tc := range []struct {
		name  string
		b     []byte
		want  error
		field string
	}{
		{"magic", append([]byte("RRRAIDX\x00"), good[8:]...), ErrFormat, "magic"},
		{"version", put32(good, 8, 2), ErrVersion, "version"},
		{"flags", put32(good, 12, 4), ErrFormat, "flags"},
		{"no flags", put32(good, 12, 0), ErrFormat, "flags"},
		{"d", put64(good, 16, 0), ErrFormat, "d:"},
		{"nlist", put64(good, 32, 0), ErrFormat, "nlist"},
		{"huge n", put64(good, 24, 1<<40), ErrFormat, "n:"},
		{"iterations", put64(good, 40, 0), ErrFormat, "iterations"},
		{"sample", put64(good, 48, 1), ErrFormat, "sample"},
		{"trained", put64(good, 64, 1<<30), ErrFormat, "trained-on"},
		{"reserved", func() []byte { c := slices.Clone(good); c[100] = 1; return c }(), ErrFormat, "reserved"},
		{"metadata size", put64(good, 80, 1<<21), ErrFormat, "metadata size"},
		{"list offset", put64(good, h.offs+8, uint64(x.Len()+1)), ErrFormat, "list offsets"},
		{"first offset", put64(good, h.offs, 1), ErrFormat, "list offsets"},
		{"document out of range", put32(good, h.doc, uint32(x.Len())), ErrFormat, "documents"},
		{"document repeated", put32(good, h.doc+4, binary.LittleEndian.Uint32(good[h.doc:])), ErrFormat, "documents"},
		{"padding", func() []byte { c := slices.Clone(good); c[h.codes-1] = 7; return c }(), ErrFormat, "padding"},
	} {
		if tc.name == "padding" && h.codes == h.doc+4*h.n {
			t.Fatal("no padding to corrupt: change the test's sizes")
		}
		try(tc.name, tc.b, true, tc.want, tc.field)
	}
}

// TestCalibrate checks that Calibrate picks the smallest nprobe of the
// doubling grid that reaches the target recall against exact search (an
// IVF-Flat index's search of every list),
// records it, that searches then probe it by default (also after a save
// and load), and that a bad recorded nprobe is refused on load.
func TestCalibrate(t *testing.T) {
	x, qs := buildSmallIVF(t, false, true)
	r := rand.New(rand.NewPCG(41, 42))
	const d = 24
	qs = append(qs, clustered(r, 45, d, 12, 1.5)...)
	nq := len(qs) / d
	f := New(d)
	for i := range x.Len() {
		if err := f.Add([]string{x.ID(i)}, x.Vector(i)); err != nil {
			t.Fatal(err)
		}
	}
	exact := f.Search(qs, nq, 10)
	at := func(np int) float64 {
		return recallAt(searchIVF(t, x, qs, nq, 10, SearchOptions{NProbe: np}), exact)
	}
	np, rec, err := x.Calibrate(qs, nq, 10, 0.99)
	if err != nil {
		t.Fatal(err)
	}
	if rec < 0.99 && np != 9 || rec != at(np) || (np > 1 && at(np/2) >= 0.99) {
		t.Errorf("calibrated nprobe %d (recall %.4f); recall at half of it %.4f", np, rec, at(max(1, np/2)))
	}
	t.Logf("calibrated nprobe %d of 9, recall@10 %.4f", np, rec)
	if err := x.SetSearchOptions(SearchOptions{}); err != nil {
		t.Fatal(err)
	}
	if x.NProbe() != np || x.Meta()[MetaNProbe] != strconv.Itoa(np) || !strings.Contains(x.Meta()[MetaNProbeNote], "50 queries") {
		t.Errorf("NProbe %d, metadata %v", x.NProbe(), x.Meta())
	}
	if !sameHits(x.Search(qs, nq, 10), searchIVF(t, x, qs, nq, 10, SearchOptions{NProbe: np})) {
		t.Error("a search with nprobe 0 does not probe the calibrated nprobe")
	}
	path := t.TempDir() + "/x.ivf"
	if err := x.Save(path); err != nil {
		t.Fatal(err)
	}
	y, err := LoadIVF(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if y.NProbe() != np {
		t.Errorf("loaded: NProbe %d, want %d", y.NProbe(), np)
	}
	y.Close()
	for _, bad := range []string{"0", "10", "x", "-1"} {
		m := x.Meta()
		m[MetaNProbe] = bad
		x.SetMeta(m)
		if err := x.Save(path); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadIVF(path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "metadata nprobe") {
			t.Errorf("nprobe %q in the metadata: %v", bad, err)
		}
	}
	for _, c := range []struct {
		nq, k  int
		target float64
		want   string
	}{{0, 10, 0.9, "0 queries"}, {nq, 0, 0.9, "k 0"}, {nq, 10, 0, "target recall 0"}, {nq, 10, 1.5, "target recall 1.5"}} {
		if _, _, err := x.Calibrate(qs, c.nq, c.k, c.target); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
