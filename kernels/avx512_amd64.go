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
//
// Blocking: kc 512 deep panels (a 24 KiB A micro-panel, a 64 KiB B
// micro-panel that streams from L2 rather than sitting in L1) and mc 192
// rows (a 384 KiB A block in L2). A sweep of mc 48–3072 and kc 192–1024 at
// 1024³ and 2048³ on an Intel Xeon with AMX (family 6, model 167; 48 KiB
// L1d, 2 MiB L2) put kc 512 ahead of 192–448: fewer passes over C, whose
// rows at a power-of-two stride share L1 sets. All four packing routines
// are in assembly (12-row and 32-row transposes by 16×16 blocks, 12- and
// 32-wide row copies): packed in Go they took 8% of a 1024³ product.
func avx512Tier() *tier {
	t := &tier{
		name: "avx512", auto: false,
		mr: 12, nr: 32, mc: 192, kc: 512, nc: 3072,
		micro:   microAVX512,
		microA:  microRowsAVX512,
		gatherA: gather12AVX512Slice, gatherB: gather32AVX512Slice, gatherQ: 16,
		copyA: copy12AVX512Slice, copyB: copy32AVX512Slice,
		dot:       dotAVX2Slice,
		axpy:      axpyAVX2Slice,
		scale:     scaleAVX2Slice,
		dotRows:   dotRowsAVX2,
		dotRowsU8: dotRowsU8AVX512,

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

//go:noescape
func gather12AVX512(src *float32, ld, k16 int, dst *float32)

//go:noescape
func copy32AVX512(dst, src *float32, ld, kb int)

// gather12AVX512Slice checks the extents (the assembly trusts them) and
// packs twelve rows of A for the first k16 depth steps.
func gather12AVX512Slice(src []float32, ld, k16 int, dst []float32) {
	_ = src[11*ld+k16-1]
	_ = dst[12*k16-1]
	gather12AVX512(&src[0], ld, k16, &dst[0])
}

// copy32AVX512Slice checks the extents (the assembly trusts them) and packs
// kb rows of 32.
func copy32AVX512Slice(dst, src []float32, ld, kb int) {
	_ = src[(kb-1)*ld+31]
	_ = dst[32*kb-1]
	copy32AVX512(&dst[0], &src[0], ld, kb)
}

//go:noescape
func copy12AVX512(dst, src *float32, ld, kb int)

//go:noescape
func gather32AVX512(src *float32, ld, k16 int, dst *float32)

// copy12AVX512Slice checks the extents (the assembly trusts them) and packs
// kb rows of 12.
func copy12AVX512Slice(dst, src []float32, ld, kb int) {
	_ = src[(kb-1)*ld+11]
	_ = dst[12*kb-1]
	copy12AVX512(&dst[0], &src[0], ld, kb)
}

// gather32AVX512Slice checks the extents (the assembly trusts them) and
// packs 32 rows of a transposed B for the first k16 depth steps.
func gather32AVX512Slice(src []float32, ld, k16 int, dst []float32) {
	_ = src[31*ld+k16-1]
	_ = dst[32*k16-1]
	gather32AVX512(&src[0], ld, k16, &dst[0])
}

//go:noescape
func dotU8AVX512(w *float32, c *uint8, n int) float32

// dotRowsU8AVX512 is DotRowsU8, one row at a time (sq8_avx512_amd64.s).
func dotRowsU8AVX512(w []float32, codes []uint8, ldc int, out []float32) {
	dotRowsU8With(dotU8AVX512, w, codes, ldc, out)
}
