package kernels

import "fmt"

// Dot returns the inner product of x and y:
//
//	var s float32
//	for i := range x {
//		s += x[i] * y[i]
//	}
//	return s
//
// summed in an order that depends on the tier. It panics if len(y) < len(x).
func Dot(x, y []float32) float32 {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: Dot: len(y)=%d < len(x)=%d", len(y), len(x)))
	}
	return current.Load().dot(x, y)
}

// Axpy computes y += alpha·x:
//
//	for i := range x {
//		y[i] += alpha * x[i]
//	}
//
// It panics if len(y) < len(x).
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: Axpy: len(y)=%d < len(x)=%d", len(y), len(x)))
	}
	current.Load().axpy(alpha, x, y)
}

// Scale computes x *= alpha:
//
//	for i := range x {
//		x[i] *= alpha
//	}
func Scale(alpha float32, x []float32) {
	current.Load().scale(alpha, x)
}
