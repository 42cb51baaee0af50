//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// The avx512 tier: a 12×32 SGEMM micro-kernel on ZMM registers (24
// accumulators); the vector kernels are the avx2 ones, since they are bound
// by memory bandwidth. Its tests pass on AMD Zen 4 and on an Intel Xeon
// (family 6, model 207). On Zen 4, which splits 512-bit operations into two
// 256-bit halves, it measured no faster than avx2; on the Xeon, with
// full-width FMA units, 1.40–1.58× avx2's SGEMM at one thread and 1.14×
// (one thread) to 1.40× (16) its encoder throughput (docs/scaling.md,
// from bench/scaling.sh). So it is
// chosen by default on Intel CPUs only (auto), and elsewhere when asked for
// with RRRA_KERNELS=avx512 or Use.
func avx512Tier() *tier {
	t := &tier{
		name: "avx512", auto: false,
		mr: 12, nr: 32, mc: 144, kc: 192, nc: 3072,
		micro:   microAVX512,
		microA:  microRowsAVX512,
		dot:     dotAVX2Slice,
		axpy:    axpyAVX2Slice,
		scale:   scaleAVX2Slice,
		dotRows: dotRowsAVX2,

		gelu:         geluAVX2Slice,
		geluBackward: geluBackwardAVX2Slice,
		expShiftSum:  expShiftSumAVX2Slice,
		rowMax:       maxAVX2Slice,

		layerNorm:         layerNormAVX2Slice,
		layerNormBackward: layerNormBackwardAVX2Slice,
	}
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX512F):
		t.reason = "CPU lacks AVX512F"
	case !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		t.reason = "CPU lacks AVX2 or FMA3 (used by the vector kernels)"
	default:
		t.supported = true
		t.auto = cpuid.CPU.VendorID == cpuid.Intel
	}
	return t
}

//go:noescape
func sgemmMicroAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

// microAVX512 checks the panel lengths (the assembly trusts them) and runs
// the 12×32 micro-kernel.
func microAVX512(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[12*k-1]
	_ = b[32*k-1]
	_ = c[11*ldc+31]
	sgemmMicroAVX512(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

//go:noescape
func sgemmMicroRowsAVX512(k int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

// microRowsAVX512 checks the extents (the assembly trusts them) and runs the
// 12×32 micro-kernel on twelve rows of A read in place.
func microRowsAVX512(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[11*lda+k-1]
	_ = b[32*k-1]
	_ = c[11*ldc+31]
	sgemmMicroRowsAVX512(k, &a[0], lda, &b[0], &c[0], ldc, alpha, beta)
}
