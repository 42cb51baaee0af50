// Package tensor holds rrra's dense float32 tensor: a shape of up to four
// dimensions and row-major data, with views, reshapes and copies,
// element-wise and reduction operations without gradients, seeded
// initialisation, safetensors reading and writing (F32 out; F32, F16 and
// BF16 in), and float32 .npy reading and writing.
//
// Functions that combine tensors check their shapes and return an error that
// names the operation and the shapes; they never panic on a shape mismatch.
// Heavy arithmetic goes through package kernels.
package tensor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxRank is the largest number of dimensions a Shape holds. A transformer
// needs four: batch, heads, tokens, features.
const MaxRank = 4

// Shape is the size of each dimension, outermost first. The zero Shape has
// rank 0 and one element (a scalar). Shape is a small value type, so tensors
// can be made and reshaped without allocating.
type Shape struct {
	dims [MaxRank]int
	rank int
}

// S returns the shape with the given dimensions. It panics if there are more
// than MaxRank or one is negative: S is for shapes written in code; use
// NewShape for shapes read from data.
func S(dims ...int) Shape {
	s, err := NewShape(dims...)
	if err != nil {
		panic(err)
	}
	return s
}

// NewShape returns the shape with the given dimensions, or an error if there
// are more than MaxRank, one is negative, or the element count overflows.
func NewShape(dims ...int) (Shape, error) {
	// dims is only read (dimsString copies nothing), so a call such as
	// S(m, n) keeps its argument slice on the caller's stack.
	var s Shape
	if len(dims) > MaxRank {
		return s, fmt.Errorf("tensor: shape %s has rank %d, more than %d", dimsString(dims), len(dims), MaxRank)
	}
	n := 1
	for i, d := range dims {
		if d < 0 {
			return s, fmt.Errorf("tensor: shape %s has a negative dimension", dimsString(dims))
		}
		if d != 0 && n > maxElems/d {
			return s, fmt.Errorf("tensor: shape %s has more than %d elements", dimsString(dims), maxElems)
		}
		n *= d
		s.dims[i] = d
	}
	s.rank = len(dims)
	return s, nil
}

// maxElems bounds a tensor's element count, so byte sizes fit in an int.
const maxElems = min(1<<40, math.MaxInt)

// Rank returns the number of dimensions.
func (s Shape) Rank() int { return s.rank }

// Dim returns dimension i; negative i counts from the end (-1 is the last).
// It panics if i is out of range.
func (s Shape) Dim(i int) int {
	if i < 0 {
		i += s.rank
	}
	if i < 0 || i >= s.rank {
		panic(fmt.Sprintf("tensor: dimension %d of a rank-%d shape", i, s.rank))
	}
	return s.dims[i]
}

// WithDim returns s with dimension i (negative counts from the end) set to
// d. It panics if i is out of range.
func (s Shape) WithDim(i, d int) Shape {
	if i < 0 {
		i += s.rank
	}
	if i < 0 || i >= s.rank {
		panic(fmt.Sprintf("tensor: dimension %d of a rank-%d shape", i, s.rank))
	}
	s.dims[i] = d
	return s
}

// Dims returns the dimensions as a new slice.
func (s Shape) Dims() []int { return append(make([]int, 0, s.rank), s.dims[:s.rank]...) }

// Numel returns the number of elements: the product of the dimensions (1 for
// rank 0).
func (s Shape) Numel() int {
	n := 1
	for _, d := range s.dims[:s.rank] {
		n *= d
	}
	return n
}

// Rows returns the product of all dimensions but the last: the number of rows
// when the tensor is seen as a matrix of Cols() columns.
func (s Shape) Rows() int {
	if s.rank == 0 {
		return 1
	}
	n := 1
	for _, d := range s.dims[:s.rank-1] {
		n *= d
	}
	return n
}

// Cols returns the last dimension (1 for rank 0).
func (s Shape) Cols() int {
	if s.rank == 0 {
		return 1
	}
	return s.dims[s.rank-1]
}

// Equal reports whether s and o have the same rank and dimensions.
func (s Shape) Equal(o Shape) bool { return s == o }

// String formats the shape as [d0 d1 ...].
func (s Shape) String() string { return dimsString(s.dims[:s.rank]) }

func dimsString(dims []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range dims {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}
