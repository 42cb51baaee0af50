package index

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

func flatBytes(t *testing.T, f *Flat) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ivfBytes(t *testing.T, x *IVF) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := x.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cuts are the slice boundaries the merge tests split 700 documents at:
// unequal parts, an empty one among them.
var cuts = []int{0, 230, 230, 481, 700}

// flatParts returns the Flat indexes of vecs's rows between consecutive cuts,
// each loaded back from a file, so that merging reads mapped indexes as
// rrra index merge does.
func flatParts(t *testing.T, vecs []float32, d int, meta map[string]string) []*Flat {
	t.Helper()
	var parts []*Flat
	for i := 1; i < len(cuts); i++ {
		f := New(d)
		if err := f.Add(seqIDs(cuts[i-1], cuts[i]-cuts[i-1]), vecs[cuts[i-1]*d:cuts[i]*d]); err != nil {
			t.Fatal(err)
		}
		f.SetMeta(meta)
		path := filepath.Join(t.TempDir(), "part.idx")
		if err := f.Save(path); err != nil {
			t.Fatal(err)
		}
		g, err := Load(path, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		parts = append(parts, g)
	}
	return parts
}

// TestMergeFlat checks that merging the exact indexes of contiguous
// slices writes the whole index's file byte for byte, and that
// inconsistent parts are refused.
func TestMergeFlat(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const d = 24
	vecs := clustered(r, 700, d, 12, 0.7)
	meta := map[string]string{"model": "m", "corpus": "c"}
	whole := newFlat(t, d, vecs)
	whole.SetMeta(meta)
	parts := flatParts(t, vecs, d, map[string]string{"model": "m", "shard": "x"})
	merged, err := MergeFlat(parts, meta)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(flatBytes(t, merged), flatBytes(t, whole)) {
		t.Error("the merged index's file differs from the whole index's")
	}
	qs := clustered(r, 5, d, 12, 0.7)
	if !sameHits(merged.Search(qs, 5, 10), whole.Search(qs, 5, 10)) {
		t.Error("the merged index searches differently")
	}

	other := New(d + 1)
	for _, tc := range []struct {
		name  string
		parts []*Flat
		want  string
	}{
		{"none", nil, "no indexes"},
		{"dimension", []*Flat{parts[0], other}, "part 1 has dimension 25"},
		{"duplicate", []*Flat{parts[0], parts[1], parts[0]}, `id "doc0" is in part 2`},
	} {
		if _, err := MergeFlat(tc.parts, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestTrainingRows checks that a quantizer trained on just the sampled
// rows equals the one trained on all of them.
func TestTrainingRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, d = 900, 16
	vecs := clustered(r, n, d, 10, 0.7)
	for _, cfg := range []IVFConfig{
		{NList: 8, Sample: 300, Seed: 3, Iterations: 5, SQ8: true},
		{NList: 8, Seed: 4, Iterations: 5}, // sample 2048 > n: every row
	} {
		all, err := TrainQuantizer(vecs, n, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := TrainingRows(n, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(n, cfg.sample()); len(rows) != want {
			t.Errorf("%+v: %d rows, want %d", cfg, len(rows), want)
		}
		sample := make([]float32, 0, len(rows)*d)
		for _, i := range rows {
			sample = append(sample, vecs[i*d:(i+1)*d]...)
		}
		some, err := TrainQuantizer(sample, len(rows), d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !some.Equal(all) {
			t.Errorf("%+v: training on the sampled rows gives another quantizer", cfg)
		}
	}
	if _, err := TrainingRows(5, IVFConfig{NList: 8}); err == nil || !strings.Contains(err.Error(), "5 vectors for nlist 8") {
		t.Errorf("too few rows: %v", err)
	}
	if _, err := TrainingRows(50, IVFConfig{NList: 8, Iterations: -1}); err == nil {
		t.Error("iterations -1 accepted")
	}
}

// TestMergeIVF checks that the IVF indexes of contiguous slices, built
// with one quantizer and loaded from their files, merge into the index
// that quantizer builds from the whole: the same file byte for byte, so
// the same results. Inconsistent parts are refused.
func TestMergeIVF(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const d = 24
	vecs := clustered(r, 700, d, 12, 0.7)
	qs := clustered(r, 5, d, 12, 0.7)
	meta := map[string]string{"model": "m"}
	for _, tc := range []struct{ sq8, keep bool }{{false, true}, {true, false}, {true, true}} {
		q, err := TrainQuantizer(vecs, 700, d, IVFConfig{NList: 9, Seed: 2, SQ8: tc.sq8, Iterations: 7})
		if err != nil {
			t.Fatal(err)
		}
		whole := newFlat(t, d, vecs)
		whole.SetMeta(meta)
		want, err := BuildIVFWith(q, whole, tc.keep)
		if err != nil {
			t.Fatal(err)
		}
		var parts []*IVF
		for _, f := range flatParts(t, vecs, d, map[string]string{"shard": "x"}) {
			x, err := BuildIVFWith(q, f, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "part.ivf")
			if err := x.Save(path); err != nil {
				t.Fatal(err)
			}
			y, err := LoadIVF(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { y.Close() })
			parts = append(parts, y)
		}
		merged, err := MergeIVF(parts, meta)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ivfBytes(t, merged), ivfBytes(t, want)) {
			t.Errorf("sq8=%v keep=%v: the merged index's file differs from the whole index's", tc.sq8, tc.keep)
		}
		opt := SearchOptions{NProbe: 3}
		for _, nq := range []int{1, 5} {
			if !sameHits(searchIVF(t, merged, qs, nq, 10, opt), searchIVF(t, want, qs, nq, 10, opt)) {
				t.Errorf("sq8=%v keep=%v nq=%d: the merged index searches differently", tc.sq8, tc.keep, nq)
			}
		}
		// The merged index is a normal one: it takes more documents.
		if err := merged.Add([]string{"new"}, qs[:d]); err != nil {
			t.Errorf("Add after a merge: %v", err)
		}
	}

	q1, _ := TrainQuantizer(vecs, 700, d, IVFConfig{NList: 9, Seed: 2, Iterations: 7})
	q2, _ := TrainQuantizer(vecs, 700, d, IVFConfig{NList: 9, Seed: 3, Iterations: 7})
	q3, _ := TrainQuantizer(vecs, 700, d, IVFConfig{NList: 9, Seed: 2, Iterations: 7, SQ8: true})
	a, _ := BuildIVFWith(q1, newFlat(t, d, vecs[:100*d]), false)
	b, _ := BuildIVFWith(q2, newFlat(t, d, vecs[:100*d]), false)
	c, _ := BuildIVFWith(q3, newFlat(t, d, vecs[:100*d]), false)
	e, _ := BuildIVFWith(q3, newFlat(t, d, vecs[:100*d]), true)
	for _, tc := range []struct {
		name  string
		parts []*IVF
		want  string
	}{
		{"none", nil, "no indexes"},
		{"seed", []*IVF{a, b}, "part 1 was built with another quantizer"},
		{"sq8", []*IVF{a, c}, "part 1 was built with another quantizer"},
		{"keep", []*IVF{c, e}, "parts 0 and 1 differ in keeping float32 vectors"},
		{"duplicate", []*IVF{a, a}, `id "doc0" is in part 1`},
	} {
		if _, err := MergeIVF(tc.parts, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := BuildIVFWith(q1, New(d+1), false); err == nil || !strings.Contains(err.Error(), "dimension 24 for vectors of dimension 25") {
		t.Errorf("quantizer of another dimension: %v", err)
	}
}
