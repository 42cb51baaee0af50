package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestQuantized builds the scalar-quantized index of unit vectors drawn
// around a few centres (as embeddings cluster) and checks its recall@10
// against exact search, that re-scored hits carry exact scores, and that
// the codes take a quarter of the float32 bytes.
func TestQuantized(t *testing.T) {
	const n, d, nq = 3000, 64, 50
	r := rand.New(rand.NewPCG(3, 1))
	centres := make([][]float64, 8)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range d {
			centres[c][j] = r.NormFloat64()
		}
	}
	unit := func() []float32 {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, d)
		var s float64
		for j := range d {
			x := c[j] + 0.7*r.NormFloat64()
			v[j] = float32(x)
			s += x * x
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(s))
		}
		return v
	}
	f := New(d)
	var vecs []float32
	ids := make([]string, n)
	for i := range n {
		vecs = append(vecs, unit()...)
		ids[i] = fmt.Sprint("d", i)
	}
	if err := f.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	q, err := NewQuantized(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Bytes() / float64(4*n*d); got > 0.26 {
		t.Errorf("codes take %.3f of the float32 bytes, want about 1/4", got)
	}
	var raw, rescored float64
	for range nq {
		query := unit()
		want := map[int]bool{}
		for _, h := range f.SearchOne(query, 10) {
			want[h.Doc] = true
		}
		hits := q.Search(query, 10, 0)
		for _, h := range hits {
			if want[h.Doc] {
				raw++
			}
		}
		for _, h := range q.Search(query, 10, 100) {
			if want[h.Doc] {
				rescored++
			}
			var exact float64
			for j, v := range f.Vector(h.Doc) {
				exact += float64(v) * float64(query[j])
			}
			if math.Abs(exact-float64(h.Score)) > 1e-5 {
				t.Fatalf("re-scored hit %d has score %v, exact %v", h.Doc, h.Score, exact)
			}
		}
	}
	raw /= 10 * nq
	rescored /= 10 * nq
	t.Logf("recall@10 against exact: %.3f raw, %.3f re-scored", raw, rescored)
	if raw < 0.8 || rescored < 0.99 {
		t.Errorf("recall@10 %.3f raw (want ≥ 0.8), %.3f re-scored (want ≥ 0.99)", raw, rescored)
	}
}

func TestQuantizedRefuses(t *testing.T) {
	f := New(2)
	if _, err := NewQuantized(f); err == nil {
		t.Error("an empty index was quantized")
	}
	f.Add([]string{"a", "b"}, []float32{1, 2, float32(math.Inf(1)), 0})
	if _, err := NewQuantized(f); err == nil || !strings.Contains(err.Error(), `document "b", dimension 0 is +Inf`) {
		t.Errorf("an infinite value: %v", err)
	}
}
