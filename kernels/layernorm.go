package kernels

import (
	"fmt"
	"math"
)

// LayerNormRow normalises one row: with mean = Σx/n and
// rstd = 1/√(Σ(x−mean)²/n + eps),
//
//	for i := range x {
//		y[i] = (x[i]-mean)*rstd*gamma[i] + beta[i]
//	}
//
// and returns mean and rstd (saved for the backward pass). It panics on
// mismatched lengths.
func LayerNormRow(y, x, gamma, beta []float32, eps float32) (mean, rstd float32) {
	if len(y) != len(x) || len(gamma) != len(x) || len(beta) != len(x) {
		panic(fmt.Sprintf("kernels: LayerNormRow: lengths y %d, x %d, gamma %d, beta %d", len(y), len(x), len(gamma), len(beta)))
	}
	if len(x) == 0 {
		return 0, 0
	}
	return current.Load().layerNorm(y, x, gamma, beta, eps)
}

// LayerNormRowBackward computes the gradient of one LayerNorm row: with
// x̂ = (x−mean)·rstd and g = dy·gamma,
//
//	for i := range x {
//		dx[i] += rstd * (g[i] - mean(g) - x̂[i]*mean(g·x̂)) // = when !add
//	}
//
// dx is not read unless add. It panics on mismatched lengths.
func LayerNormRowBackward(dx, dy, x, gamma []float32, mean, rstd float32, add bool) {
	if len(dx) != len(x) || len(dy) != len(x) || len(gamma) != len(x) {
		panic(fmt.Sprintf("kernels: LayerNormRowBackward: lengths dx %d, dy %d, x %d, gamma %d", len(dx), len(dy), len(x), len(gamma)))
	}
	if len(x) == 0 {
		return
	}
	current.Load().layerNormBackward(dx, dy, x, gamma, mean, rstd, add)
}

func layerNormGeneric(y, x, gamma, beta []float32, eps float32) (float32, float32) {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mu := s / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mu
		ss += d * d
	}
	rs := 1 / math.Sqrt(ss/float64(len(x))+float64(eps))
	m32, r32 := float32(mu), float32(rs)
	y, gamma, beta = y[:len(x)], gamma[:len(x)], beta[:len(x)]
	for j, v := range x {
		y[j] = (v-m32)*r32*gamma[j] + beta[j]
	}
	return m32, r32
}

func layerNormBackwardGeneric(dx, dy, x, gamma []float32, mu, rs float32, add bool) {
	dx, dy, gamma = dx[:len(x)], dy[:len(x)], gamma[:len(x)]
	var sg, sgx float64
	for j, v := range x {
		g := dy[j] * gamma[j]
		sg += float64(g)
		sgx += float64(g) * float64((v-mu)*rs)
	}
	c := float64(len(x))
	mg, mgx := float32(sg/c), float32(sgx/c)
	for j, v := range x {
		d := rs * (dy[j]*gamma[j] - mg - (v-mu)*rs*mgx)
		if add {
			d += dx[j]
		}
		dx[j] = d
	}
}
