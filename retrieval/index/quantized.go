package index

import (
	"fmt"
	"math"
	"slices"

	"github.com/rrra/rrra/kernels"
)

// Quantized is an inner-product index whose document vectors are stored
// in one byte per dimension, a quarter of a [Flat]'s memory: scalar
// quantization with one offset and one step per dimension (the scheme of
// FAISS's IndexScalarQuantizer with QT_8bit),
//
//	x[d] ≈ lo[d] + step[d]·code[d],  code in [0, 255],
//
// with lo[d] and lo[d] + 255·step[d] the smallest and largest value of
// dimension d over the corpus. A query q scores a document as
//
//	Σ_d q[d]·(lo[d] + step[d]·code[d]) = Σ_d q[d]·lo[d] + Σ_d (q[d]·step[d])·code[d],
//
// whose second sum runs on the integer kernels (kernels.GemmU8S8: the
// codes are the unsigned operand, q·step quantized to 7 bits per query the
// signed one). Search can re-score its best candidates exactly against the
// float32 vectors of the Flat it was built from. It is an in-memory index
// for measuring what scalar quantization costs in recall; it has no file
// format yet.
type Quantized struct {
	d, n  int
	codes []uint8   // n×d
	lo    []float32 // d
	step  []float32 // d
	flat  *Flat     // the float32 vectors, for re-scoring
}

// NewQuantized builds the scalar-quantized index of f's vectors, keeping f
// for re-scoring. It returns an error for an empty index or a vector
// holding NaN or infinity.
func NewQuantized(f *Flat) (*Quantized, error) {
	d, n := f.Dim(), f.Len()
	if n == 0 {
		return nil, fmt.Errorf("index: quantize: the index is empty")
	}
	q := &Quantized{d: d, n: n, codes: make([]uint8, n*d), lo: make([]float32, d), step: make([]float32, d), flat: f}
	hi := make([]float32, d)
	copy(q.lo, f.Vector(0))
	copy(hi, f.Vector(0))
	for i := range n {
		for j, v := range f.Vector(i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("index: quantize: document %q, dimension %d is %v", f.ID(i), j, v)
			}
			q.lo[j] = min(q.lo[j], v)
			hi[j] = max(hi[j], v)
		}
	}
	for j := range d {
		q.step[j] = (hi[j] - q.lo[j]) / 255
	}
	for i := range n {
		row := q.codes[i*d : (i+1)*d]
		for j, v := range f.Vector(i) {
			if q.step[j] == 0 {
				continue
			}
			c := math.RoundToEven(float64((v - q.lo[j]) / q.step[j]))
			row[j] = uint8(max(0, min(255, c)))
		}
	}
	return q, nil
}

// Len returns the number of documents.
func (q *Quantized) Len() int { return q.n }

// Bytes returns the memory the quantized vectors take: the codes and the
// per-dimension offsets and steps (not the float32 vectors kept for
// re-scoring).
func (q *Quantized) Bytes() float64 { return float64(len(q.codes) + 8*q.d) }

// Search returns the k documents with the highest quantized score for the
// query, best first in the package's order. With rescore > 0 it takes the
// best max(k, rescore) by quantized score and orders them by their exact
// float32 inner product instead. It panics if len(query) != Dim() or k is
// negative.
func (q *Quantized) Search(query []float32, k, rescore int) []Hit {
	if len(query) != q.d || k < 0 {
		panic(fmt.Sprintf("index: Quantized.Search: query of %d values for dimension %d, k=%d", len(query), q.d, k))
	}
	k = min(k, q.n)
	depth := k
	if rescore > 0 {
		depth = min(q.n, max(k, rescore))
	}
	if depth == 0 {
		return nil
	}
	// The query's weights on the codes, quantized to 7 bits.
	qs := make([]float32, q.d)
	var base float64
	for j, v := range query {
		qs[j] = v * q.step[j]
		base += float64(v) * float64(q.lo[j])
	}
	if allZero(qs) {
		qs[0] = math.SmallestNonzeroFloat32 // a zero query still needs a scale
	}
	w, err := kernels.QuantizeWeights(qs, 1, q.d, nil)
	if err != nil {
		panic(fmt.Sprintf("index: Quantized.Search: %v", err)) // NaN or infinite query
	}
	scale := w.Scales()
	sums := make([]int32, q.n)
	kernels.GemmU8S8(q.n, q.codes, q.d, w, sums, 1)
	scores := make([]float32, q.n)
	for i, s := range sums {
		scores[i] = float32(base + float64(scale[0])*float64(s))
	}
	h := newTopk(make([]Hit, 0, depth))
	h.offer(scores, 0, noThreshold)
	hits := h.hits
	if rescore > 0 {
		for i := range hits {
			hits[i].Score = kernels.Dot(query, q.flat.Vector(hits[i].Doc))
		}
	}
	slices.SortFunc(hits, CompareHits)
	return hits[:k]
}

func allZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}
