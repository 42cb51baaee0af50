package kernels

import "fmt"

// GELU sets y to the Gaussian error linear unit of x in its exact (erf)
// form, as BERT uses it:
//
//	for i := range x {
//		y[i] = x[i] * 0.5 * (1 + Erf(x[i]/√2))
//	}
//
// with this package's float32 Erf (absolute error below 3e-7). It panics if
// len(y) < len(x).
func GELU(y, x []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: GELU: len(y)=%d < len(x)=%d", len(y), len(x)))
	}
	current.Load().gelu(y, x)
}

// GELUBackward adds the gradient through GELU to dx, or with add false
// writes it (dx is then not read):
//
//	for i := range x {
//		Φ := 0.5 * (1 + Erf(x[i]/√2))
//		φ := Exp(-x[i]*x[i]/2) / √(2π)
//		dx[i] += dy[i] * (Φ + x[i]*φ) // dx[i] = … when !add
//	}
//
// It panics if dx or dy is shorter than x.
func GELUBackward(dx, dy, x []float32, add bool) {
	if len(dx) < len(x) || len(dy) < len(x) {
		panic(fmt.Sprintf("kernels: GELUBackward: len(dx)=%d, len(dy)=%d < len(x)=%d", len(dx), len(dy), len(x)))
	}
	current.Load().geluBackward(dx, dy, x, add)
}

const (
	invSqrt2   = 0.7071067811865476
	invSqrt2Pi = 0.3989422804014327
)

func geluGeneric(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = v * 0.5 * (1 + Erf(v*invSqrt2))
	}
}

func geluBackwardGeneric(dx, dy, x []float32, add bool) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		cdf := 0.5 * (1 + Erf(v*invSqrt2))
		pdf := invSqrt2Pi * Exp(-0.5*v*v)
		g := dy[i] * (cdf + v*pdf)
		if add {
			g += dx[i]
		}
		dx[i] = g
	}
}
