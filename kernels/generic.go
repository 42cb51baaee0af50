package kernels

// The generic tier: pure Go, correct on every GOARCH. Its SGEMM uses the same
// packed, blocked driver as the assembly tiers with a 2×4 register block
// written so that the compiler keeps the accumulators in registers and drops
// the bounds checks from the inner loop.

func genericTier() *tier {
	return &tier{
		name: "generic", supported: true, auto: true,
		mr: 2, nr: 4, mc: 64, kc: 256, nc: 2048,
		micro:     microGeneric2x4,
		dot:       dotGeneric,
		axpy:      axpyGeneric,
		scale:     scaleGeneric,
		dotRows:   dotRowsGeneric,
		dotRowsU8: dotRowsU8Generic,

		gelu:         geluGeneric,
		geluBackward: geluBackwardGeneric,
		expShiftSum:  expShiftSumGeneric,
		rowMax:       maxGeneric,

		layerNorm:         layerNormGeneric,
		layerNormBackward: layerNormBackwardGeneric,
	}
}

// microGeneric2x4 is the generic micro-kernel: for the 2×4 tile at c,
//
//	c[i*ldc+j] = alpha·Σ_{p<k} a[p*2+i]·b[p*4+j] + beta·c[i*ldc+j]
//
// (alpha·Σ only, without reading c, when beta is 0). Eight accumulators and
// a depth unrolled four times is what Go's register allocator keeps in
// registers on amd64 without spilling; larger tiles measured slower.
func microGeneric2x4(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	a, b = a[:2*k], b[:4*k]
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var a0, a1 float32
	for len(a) >= 8 && len(b) >= 16 {
		a0, a1 = a[0], a[1]
		c00 += a0 * b[0]
		c01 += a0 * b[1]
		c02 += a0 * b[2]
		c03 += a0 * b[3]
		c10 += a1 * b[0]
		c11 += a1 * b[1]
		c12 += a1 * b[2]
		c13 += a1 * b[3]
		a0, a1 = a[2], a[3]
		c00 += a0 * b[4]
		c01 += a0 * b[5]
		c02 += a0 * b[6]
		c03 += a0 * b[7]
		c10 += a1 * b[4]
		c11 += a1 * b[5]
		c12 += a1 * b[6]
		c13 += a1 * b[7]
		a0, a1 = a[4], a[5]
		c00 += a0 * b[8]
		c01 += a0 * b[9]
		c02 += a0 * b[10]
		c03 += a0 * b[11]
		c10 += a1 * b[8]
		c11 += a1 * b[9]
		c12 += a1 * b[10]
		c13 += a1 * b[11]
		a0, a1 = a[6], a[7]
		c00 += a0 * b[12]
		c01 += a0 * b[13]
		c02 += a0 * b[14]
		c03 += a0 * b[15]
		c10 += a1 * b[12]
		c11 += a1 * b[13]
		c12 += a1 * b[14]
		c13 += a1 * b[15]
		a, b = a[8:], b[16:]
	}
	for len(a) >= 2 && len(b) >= 4 {
		a0, a1 = a[0], a[1]
		c00 += a0 * b[0]
		c01 += a0 * b[1]
		c02 += a0 * b[2]
		c03 += a0 * b[3]
		c10 += a1 * b[0]
		c11 += a1 * b[1]
		c12 += a1 * b[2]
		c13 += a1 * b[3]
		a, b = a[2:], b[4:]
	}
	storeRow4(c[0*ldc:], alpha, beta, c00, c01, c02, c03)
	storeRow4(c[1*ldc:], alpha, beta, c10, c11, c12, c13)
}

// storeRow4 stores one row of a 4-wide tile with mergeTile's rounding.
func storeRow4(c []float32, alpha, beta, s0, s1, s2, s3 float32) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	c[0] = float32(alpha*s0) + float32(beta*c[0])
	c[1] = float32(alpha*s1) + float32(beta*c[1])
	c[2] = float32(alpha*s2) + float32(beta*c[2])
	c[3] = float32(alpha*s3) + float32(beta*c[3])
}

// dotGeneric returns Σ_i x[i]·y[i] over len(x) terms, with four partial sums.
func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGeneric computes y[i] += alpha·x[i] for i < len(x).
func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// scaleGeneric computes x[i] *= alpha for every i.
func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// dotRowsGeneric computes out[j] = Σ_p q[p]·docs[j*ldd+p] for j < len(out).
func dotRowsGeneric(q, docs []float32, ldd int, out []float32) {
	for j := range out {
		out[j] = dotGeneric(q, docs[j*ldd:j*ldd+len(q)])
	}
}
