package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rrra/rrra/kernels"
)

// kmeansChunk is the number of training vectors whose similarities to every
// centroid are computed by one SGEMM: chunk × nlist scores at a time.
const kmeansChunk = 4096

// sampleRows returns the indices of min(n, want) rows of an n-row matrix
// drawn without replacement with seed, in increasing order (every row when
// want >= n).
func sampleRows(n, want int, seed uint64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if want >= n {
		return idx
	}
	r := rand.New(rand.NewPCG(seed, 0x6b6d65616e73)) // "kmeans"
	for i := range want {
		j := i + r.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx = idx[:want]
	slices.Sort(idx)
	return idx
}

// sphericalKMeans clusters the ns rows of x (each of length d, finite) into
// k centroids of unit norm, maximising the sum over rows of the inner
// product with their centroid: k rows of x drawn with seed start it, then
// each of iters rounds assigns every row to its most similar centroid
// (ties to the lower index) and sets each centroid to the normalised sum
// of its rows. A centroid left with no rows takes half of the largest
// cluster (its centroid, perturbed by ±1/1024 in alternate dimensions,
// as FAISS's k-means does). This is the clustering FAISS's IVF indexes
// run for inner-product search (spherical k-means).
//
// The result depends only on x, k, iters and seed: the similarities come
// from SGEMM, whose results do not depend on the thread count, and the
// sums are accumulated serially in float64. It needs ns >= k.
func sphericalKMeans(x rowSet, k, iters int, seed uint64) []float32 {
	ns, d := x.len(), x.d
	cent := make([]float32, k*d)
	for j, i := range sampleRows(ns, k, seed^0x696e6974) { // "init"
		copy(cent[j*d:(j+1)*d], x.row(i))
	}
	// The sample above is sorted; shuffle which row starts which centroid
	// so that centroid order carries no meaning of row order.
	r := rand.New(rand.NewPCG(seed, 0x7368756666)) // "shuff"
	for j := k - 1; j > 0; j-- {
		i := r.IntN(j + 1)
		if i != j {
			a, b := cent[i*d:(i+1)*d], cent[j*d:(j+1)*d]
			for t := range a {
				a[t], b[t] = b[t], a[t]
			}
		}
	}
	for j := range k {
		normalize(cent[j*d : (j+1)*d])
	}
	assign := make([]int32, ns)
	sums := make([]float64, k*d)
	counts := make([]int, k)
	scores := make([]float32, min(ns, kmeansChunk)*k)
	var buf []float32
	if x.rows != nil {
		buf = make([]float32, min(ns, kmeansChunk)*d)
	}
	for range iters {
		assignRows(x, cent, k, assign, scores, buf)
		clear(sums)
		clear(counts)
		for i, c := range assign {
			counts[c]++
			s := sums[int(c)*d : int(c+1)*d]
			for t, v := range x.row(i) {
				s[t] += float64(v)
			}
		}
		for j := range k {
			if counts[j] == 0 {
				continue
			}
			c := cent[j*d : (j+1)*d]
			var norm float64
			for _, v := range sums[j*d : (j+1)*d] {
				norm += v * v
			}
			norm = math.Sqrt(norm)
			if norm == 0 {
				continue // rows summing to zero: keep the old centroid
			}
			for t, v := range sums[j*d : (j+1)*d] {
				c[t] = float32(v / norm)
			}
		}
		splitEmpty(cent, counts, d)
	}
	return cent
}

// splitEmpty gives each centroid without rows half of the largest cluster
// (the lowest index among equals): a copy of that cluster's centroid
// scaled by 1+ε in even dimensions and 1−ε in odd ones, the original by
// the reverse, both renormalised, and half of its count.
func splitEmpty(cent []float32, counts []int, d int) {
	const eps = 1.0 / 1024
	for j, c := range counts {
		if c != 0 {
			continue
		}
		big := 0
		for m, cm := range counts {
			if cm > counts[big] {
				big = m
			}
		}
		if counts[big] < 2 {
			return // nothing left to split
		}
		cj, cb := cent[j*d:(j+1)*d], cent[big*d:(big+1)*d]
		for t := range cb {
			if t%2 == 0 {
				cj[t], cb[t] = cb[t]*(1+eps), cb[t]*(1-eps)
			} else {
				cj[t], cb[t] = cb[t]*(1-eps), cb[t]*(1+eps)
			}
		}
		normalize(cj)
		normalize(cb)
		counts[j] = counts[big] / 2
		counts[big] -= counts[j]
	}
}

// rowSet is some rows of an n×d row-major matrix: x's rows rows[0],
// rows[1], …, or all of them in order when rows is nil. k-means so trains
// on a sample without copying it: at a million vectors of 384 the copy
// would be 400 MB.
type rowSet struct {
	x    []float32
	d    int
	rows []int
}

// len returns the number of rows in the set.
func (s rowSet) len() int {
	if s.rows == nil {
		return len(s.x) / s.d
	}
	return len(s.rows)
}

// row returns the set's i-th row.
func (s rowSet) row(i int) []float32 {
	if s.rows != nil {
		i = s.rows[i]
	}
	return s.x[i*s.d : (i+1)*s.d]
}

// block returns the set's rows [lo, lo+m) as one m×d matrix: part of x
// when the set is all of it, else copied into buf.
func (s rowSet) block(lo, m int, buf []float32) []float32 {
	if s.rows == nil {
		return s.x[lo*s.d : (lo+m)*s.d]
	}
	for i := range m {
		copy(buf[i*s.d:(i+1)*s.d], s.row(lo+i))
	}
	return buf[:m*s.d]
}

// assignRows sets assign[i] to the centroid with the highest inner product
// with row i of x (ties: the lower index), scoring kmeansChunk rows at a
// time into scores (at least min(x.len(), kmeansChunk)·k long); buf, as
// long as a chunk of rows, gathers a sampled set's rows (nil when x.rows
// is nil).
func assignRows(x rowSet, cent []float32, k int, assign []int32, scores, buf []float32) {
	ns, d := x.len(), x.d
	for lo := 0; lo < ns; lo += kmeansChunk {
		m := min(kmeansChunk, ns-lo)
		kernels.Sgemm(false, true, m, k, d, 1, x.block(lo, m, buf), d, cent, d, 0, scores, k)
		kernels.Parallel(m, 256, argmaxJob{scores: scores, k: k, out: assign[lo : lo+m]})
	}
}

// argmaxJob writes, for rows [lo, hi) of a score matrix with k columns, the
// column of each row's largest score (the lowest among equals).
type argmaxJob struct {
	scores []float32
	k      int
	out    []int32
}

func (j argmaxJob) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		row := j.scores[i*j.k : (i+1)*j.k]
		best := 0
		for c, s := range row {
			if s > row[best] {
				best = c
			}
		}
		j.out[i] = int32(best)
	}
}

// normalize scales x to unit Euclidean norm (a zero vector stays zero).
func normalize(x []float32) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i, v := range x {
		x[i] = float32(float64(v) * inv)
	}
}

// checkFinite returns an error naming the first row (by its id when ids is
// not nil) and dimension of x holding NaN or infinity.
func checkFinite(x []float32, d int, ids []string, what string) error {
	i := firstNonFinite(x)
	switch {
	case i < 0:
		return nil
	case ids != nil:
		return fmt.Errorf("%s: document %q, dimension %d is %v", what, ids[i/d], i%d, x[i])
	}
	return fmt.Errorf("%s: vector %d, dimension %d is %v", what, i/d, i%d, x[i])
}

// firstNonFinite returns the index of x's first NaN or ±Inf, -1 if none.
// They are the values whose exponent bits are all ones: one test on the
// bits instead of two on a float64.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return i
		}
	}
	return -1
}
