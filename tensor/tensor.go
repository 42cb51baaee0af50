package tensor

import (
	"errors"
	"fmt"
)

// ErrShape is wrapped by every error about incompatible shapes, so callers
// can test for it with errors.Is.
var ErrShape = errors.New("shape mismatch")

// shapeErr returns an error naming the operation and what was wrong.
func shapeErr(op, format string, args ...any) error {
	return fmt.Errorf("tensor: %s: %w: %s", op, ErrShape, fmt.Sprintf(format, args...))
}

// Tensor is a dense float32 tensor: Data holds Shape.Numel() values in
// row-major order (the last dimension varies fastest). A Tensor may be a view
// of another's data; writing through one is visible in the other.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New returns a zero-filled tensor of shape s.
func New(s Shape) *Tensor {
	return &Tensor{Shape: s, Data: make([]float32, s.Numel())}
}

// FromData returns a tensor of shape s over data (not copied). It fails
// unless len(data) equals s.Numel().
func FromData(s Shape, data []float32) (*Tensor, error) {
	if len(data) != s.Numel() {
		return nil, shapeErr("FromData", "shape %v needs %d values, have %d", s, s.Numel(), len(data))
	}
	return &Tensor{Shape: s, Data: data}, nil
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.Data) }

// Reshape returns a view of t's data with shape s, which must have the same
// number of elements.
func (t *Tensor) Reshape(s Shape) (*Tensor, error) {
	if s.Numel() != len(t.Data) {
		return nil, shapeErr("Reshape", "cannot view %v (%d elements) as %v (%d)", t.Shape, len(t.Data), s, s.Numel())
	}
	return &Tensor{Shape: s, Data: t.Data}, nil
}

// Slice returns a view of rows [lo, hi) along the first dimension.
func (t *Tensor) Slice(lo, hi int) (*Tensor, error) {
	if t.Shape.rank == 0 {
		return nil, shapeErr("Slice", "a scalar has no rows")
	}
	n := t.Shape.dims[0]
	if lo < 0 || hi < lo || hi > n {
		return nil, shapeErr("Slice", "rows [%d, %d) of %v", lo, hi, t.Shape)
	}
	s := t.Shape
	s.dims[0] = hi - lo
	stride := t.Shape.Numel() / max(n, 1)
	return &Tensor{Shape: s, Data: t.Data[lo*stride : hi*stride : hi*stride]}, nil
}

// Row returns row i of t seen as a Rows()×Cols() matrix (a view).
func (t *Tensor) Row(i int) []float32 {
	c := t.Shape.Cols()
	return t.Data[i*c : (i+1)*c : (i+1)*c]
}

// Clone returns a copy of t with its own data.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: t.Shape, Data: append([]float32(nil), t.Data...)}
}

// CopyFrom copies src's values into t; the shapes must be equal.
func (t *Tensor) CopyFrom(src *Tensor) error {
	if t.Shape != src.Shape {
		return shapeErr("CopyFrom", "%v into %v", src.Shape, t.Shape)
	}
	copy(t.Data, src.Data)
	return nil
}

// Transpose2D writes the transpose of the r×c matrix src into dst, which
// must be c×r. The two must not overlap.
func Transpose2D(dst, src *Tensor) error {
	if src.Shape.rank != 2 || dst.Shape.rank != 2 ||
		dst.Shape.dims[0] != src.Shape.dims[1] || dst.Shape.dims[1] != src.Shape.dims[0] {
		return shapeErr("Transpose2D", "%v into %v", src.Shape, dst.Shape)
	}
	r, c := src.Shape.dims[0], src.Shape.dims[1]
	const blk = 32 // cache blocking: 32×32 floats read and written per block
	for i0 := 0; i0 < r; i0 += blk {
		for j0 := 0; j0 < c; j0 += blk {
			for i := i0; i < min(i0+blk, r); i++ {
				row := src.Data[i*c : (i+1)*c]
				for j := j0; j < min(j0+blk, c); j++ {
					dst.Data[j*r+i] = row[j]
				}
			}
		}
	}
	return nil
}

// String summarises t: its shape and up to its first eight values.
func (t *Tensor) String() string {
	n := min(len(t.Data), 8)
	more := ""
	if n < len(t.Data) {
		more = " …"
	}
	return fmt.Sprintf("tensor%v %v%s", t.Shape, t.Data[:n], more)
}
