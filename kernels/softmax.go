package kernels

import (
	"fmt"
	"math"
)

// SoftmaxRow sets y to softmax(x + mask) over one row, mask optional (nil),
// and returns log Σ exp(x + mask − max), with max the row's largest x + mask:
//
//	z[j] = x[j] + mask[j]
//	y[j] = Exp(z[j] − max(z)) / Σ_k Exp(z[k] − max(z))
//
// Entries more than 87 below the maximum (masked ones) become exactly 0.
// y may be x. It panics on mismatched lengths.
func SoftmaxRow(y, x, mask []float32) {
	if len(y) != len(x) || (mask != nil && len(mask) != len(x)) {
		panic(fmt.Sprintf("kernels: SoftmaxRow: lengths y %d, x %d, mask %d", len(y), len(x), len(mask)))
	}
	if len(x) == 0 {
		return
	}
	mx := float32(math.Inf(-1))
	if mask != nil {
		for j, v := range x {
			z := v + mask[j]
			y[j] = z
			mx = max(mx, z)
		}
	} else {
		if &y[0] != &x[0] {
			copy(y, x)
		}
		mx = current.Load().rowMax(y)
	}
	s := current.Load().expShiftSum(y, mx)
	Scale(1/s, y)
}

// maxGeneric returns the largest element of x (−Inf if x is empty), NaN
// if any element is NaN.
func maxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

func expShiftSumGeneric(y []float32, shift float32) float32 {
	var s float32
	for j, v := range y {
		z := v - shift
		e := float32(0)
		if z >= -87 {
			e = Exp(z)
		}
		y[j] = e
		s += e
	}
	return s
}
