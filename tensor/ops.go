package tensor

import (
	"math"

	"github.com/rrra/rrra/kernels"
)

// This file holds element-wise and reduction operations without gradients.
// Binary operations take b either with a's shape or as one row of a's last
// dimension, broadcast over every row of a.

// RowBroadcast reports how b combines element-wise with a: ok when b has
// a's shape (row false) or is a single row of a's last dimension, [n] or
// [1, n], broadcast over a's rows (row true).
func RowBroadcast(a, b Shape) (row bool, ok bool) {
	if a == b {
		return false, true
	}
	if b.Numel() == a.Cols() && (b.rank == 1 || (b.rank == 2 && b.dims[0] == 1)) {
		return true, true
	}
	return false, false
}

func elementwise(op string, dst, a, b *Tensor, f func(x, y float32) float32) error {
	row, ok := RowBroadcast(a.Shape, b.Shape)
	if !ok {
		return shapeErr(op, "%v and %v (b must match a, or be one row of width %d)", a.Shape, b.Shape, a.Shape.Cols())
	}
	if dst.Shape != a.Shape {
		return shapeErr(op, "result %v for operands %v", dst.Shape, a.Shape)
	}
	if !row {
		bd := b.Data[:len(a.Data)]
		dd := dst.Data[:len(a.Data)]
		for i, x := range a.Data {
			dd[i] = f(x, bd[i])
		}
		return nil
	}
	c := a.Shape.Cols()
	for r := 0; r < a.Shape.Rows(); r++ {
		ar, dr := a.Data[r*c:(r+1)*c], dst.Data[r*c:(r+1)*c]
		for j, x := range ar {
			dr[j] = f(x, b.Data[j])
		}
	}
	return nil
}

// Add sets dst = a + b (b broadcast as a row if it is one).
func Add(dst, a, b *Tensor) error {
	return elementwise("Add", dst, a, b, func(x, y float32) float32 { return x + y })
}

// Sub sets dst = a − b (b broadcast as a row if it is one).
func Sub(dst, a, b *Tensor) error {
	return elementwise("Sub", dst, a, b, func(x, y float32) float32 { return x - y })
}

// Mul sets dst = a ⊙ b, element-wise (b broadcast as a row if it is one).
func Mul(dst, a, b *Tensor) error {
	return elementwise("Mul", dst, a, b, func(x, y float32) float32 { return x * y })
}

// Scale multiplies every element of t by s.
func (t *Tensor) Scale(s float32) { kernels.Scale(s, t.Data) }

// Fill sets every element of t to v: Fill(0) and Fill(1) are BERT's zeros
// and ones initialisations.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// Sum returns the sum of t's elements, accumulated in float64.
func (t *Tensor) Sum() float64 {
	var s float64
	for _, v := range t.Data {
		s += float64(v)
	}
	return s
}

// Mean returns the mean of t's elements (NaN for an empty tensor).
func (t *Tensor) Mean() float64 { return t.Sum() / float64(len(t.Data)) }

// Max returns the largest element and its index (−Inf and −1 when empty).
func (t *Tensor) Max() (float32, int) {
	best, at := float32(math.Inf(-1)), -1
	for i, v := range t.Data {
		if v > best || at < 0 && v == best {
			best, at = v, i
		}
	}
	return best, at
}

// ArgMaxRows writes into dst, for each row of t seen as a Rows()×Cols()
// matrix, the column of its largest value (the first on ties).
func (t *Tensor) ArgMaxRows(dst []int) error {
	if len(dst) != t.Shape.Rows() {
		return shapeErr("ArgMaxRows", "%d results for %d rows of %v", len(dst), t.Shape.Rows(), t.Shape)
	}
	c := t.Shape.Cols()
	for r := range dst {
		row := t.Data[r*c : (r+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		dst[r] = best
	}
	return nil
}

// Norm returns the Euclidean norm of t's elements, accumulated in float64.
func (t *Tensor) Norm() float64 {
	var s float64
	for _, v := range t.Data {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// Finite reports whether every element of t is finite; if not, it returns
// the index of the first NaN or ±Inf.
func (t *Tensor) Finite() (ok bool, at int) {
	for i, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false, i
		}
	}
	return true, -1
}

// MaxAbsDiff returns max |a[i] − b[i]|; the shapes must be equal. A NaN in
// either gives NaN.
func MaxAbsDiff(a, b *Tensor) (float64, error) {
	if a.Shape != b.Shape {
		return 0, shapeErr("MaxAbsDiff", "%v and %v", a.Shape, b.Shape)
	}
	var m float64
	for i, x := range a.Data {
		d := math.Abs(float64(x) - float64(b.Data[i]))
		if math.IsNaN(d) {
			return math.NaN(), nil
		}
		m = max(m, d)
	}
	return m, nil
}
