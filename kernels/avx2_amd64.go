//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// The avx2 tier: Go assembly for CPUs with AVX2 and FMA3 (Haswell, Zen and
// later). Its SGEMM micro-kernel keeps a 6×16 tile of C in twelve YMM
// registers; the cache blocks suit Zen 3 (32 KiB L1d, 512 KiB L2 per core):
// a 16×256 B micro-panel (16 KiB) stays in L1 while 144×256 of packed A
// (144 KiB) streams from L2.

func asmTiers() []*tier {
	return []*tier{avx512Tier(), avx2Tier()}
}

func avx2Tier() *tier {
	t := &tier{
		name: "avx2", auto: true,
		mr: 6, nr: 16, mc: 144, kc: 256, nc: 3072,
		micro:   microAVX2,
		microA:  microRowsAVX2,
		gatherA: gather6AVX2Slice, gatherQ: 8,
		copyB:     copy16AVX2Slice,
		dot:       dotAVX2Slice,
		axpy:      axpyAVX2Slice,
		scale:     scaleAVX2Slice,
		dotRows:   dotRowsAVX2,
		dotRowsU8: dotRowsU8AVX2,

		gelu:         geluAVX2Slice,
		geluBackward: geluBackwardAVX2Slice,
		expShiftSum:  expShiftSumAVX2Slice,
		rowMax:       maxAVX2Slice,

		layerNorm:         layerNormAVX2Slice,
		layerNormBackward: layerNormBackwardAVX2Slice,
	}
	// AVX2 without FMA exists (some VIA and emulated CPUs); check both.
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX2):
		t.reason = "CPU lacks AVX2"
	case !cpuid.CPU.Supports(cpuid.FMA3):
		t.reason = "CPU lacks FMA3"
	default:
		t.supported = true
	}
	return t
}

//go:noescape
func sgemmMicroAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmMicroRowsAVX2(k int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

//go:noescape
func gather6AVX2(src *float32, ld, k8 int, dst *float32)

//go:noescape
func copy16AVX2(dst, src *float32, ld, kb int)

// microAVX2 checks the panel lengths (the assembly trusts them) and runs the
// 6×16 micro-kernel.
func microAVX2(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[6*k-1]
	_ = b[16*k-1]
	_ = c[5*ldc+15]
	sgemmMicroAVX2(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// microRowsAVX2 checks the extents (the assembly trusts them) and runs the
// 6×16 micro-kernel on six rows of A read in place.
func microRowsAVX2(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[5*lda+k-1]
	_ = b[16*k-1]
	_ = c[5*ldc+15]
	sgemmMicroRowsAVX2(k, &a[0], lda, &b[0], &c[0], ldc, alpha, beta)
}

// gather6AVX2Slice checks the extents (the assembly trusts them) and packs
// six rows of A.
func gather6AVX2Slice(src []float32, ld, k8 int, dst []float32) {
	_ = src[5*ld+k8-1]
	_ = dst[6*k8-1]
	gather6AVX2(&src[0], ld, k8, &dst[0])
}

// copy16AVX2Slice checks the extents (the assembly trusts them) and packs
// kb rows of 16.
func copy16AVX2Slice(dst, src []float32, ld, kb int) {
	_ = src[(kb-1)*ld+15]
	_ = dst[16*kb-1]
	copy16AVX2(&dst[0], &src[0], ld, kb)
}

func dotAVX2Slice(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	_ = y[len(x)-1]
	return dotAVX2(&x[0], &y[0], len(x))
}

func axpyAVX2Slice(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	_ = y[len(x)-1]
	axpyAVX2(alpha, &x[0], &y[0], len(x))
}

func scaleAVX2Slice(alpha float32, x []float32) {
	if len(x) == 0 {
		return
	}
	scaleAVX2(alpha, &x[0], len(x))
}

// dotRowsAVX2 computes out[j] = Σ_p q[p]·docs[j*ldd+p] for j < len(out),
// one row at a time with the eight-accumulator dot kernel. A kernel that
// interleaved four rows (dotRows4AVX2) streamed memory at half the rate:
// four pointers advancing through adjacent rows seem to defeat the
// hardware prefetcher's sequential-stream detection (BenchmarkScores
// d128/nq1: 13 → 36 GB/s on Zen 4), and exact search of a large corpus for
// one query is bound by that stream.
func dotRowsAVX2(q, docs []float32, ldd int, out []float32) {
	n, d := len(out), len(q)
	if n == 0 {
		return
	}
	if d == 0 {
		clear(out)
		return
	}
	_ = docs[(n-1)*ldd+d-1]
	for j := range out {
		out[j] = dotAVX2(&q[0], &docs[j*ldd], d)
	}
}

//go:noescape
func dotU8AVX2(w *float32, c *uint8, n int) float32

// dotRowsU8AVX2 is DotRowsU8, one row at a time (sq8_avx2_amd64.s), as
// dotRowsAVX2 is for float32 rows.
func dotRowsU8AVX2(w []float32, codes []uint8, ldc int, out []float32) {
	dotRowsU8With(dotU8AVX2, w, codes, ldc, out)
}

//go:noescape
func geluAVX2(y, x *float32, n8 int)

//go:noescape
func geluBackwardAVX2(dx, dy, x *float32, n8 int, add bool)

// geluAVX2Slice runs the assembly on whole groups of eight and Go on the
// rest.
func geluAVX2Slice(y, x []float32) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		_ = y[n8-1]
		geluAVX2(&y[0], &x[0], n8)
	}
	geluGeneric(y[n8:], x[n8:])
}

func geluBackwardAVX2Slice(dx, dy, x []float32, add bool) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		_ = dx[n8-1]
		_ = dy[n8-1]
		geluBackwardAVX2(&dx[0], &dy[0], &x[0], n8, add)
	}
	geluBackwardGeneric(dx[n8:], dy[n8:], x[n8:], add)
}

//go:noescape
func maxAVX2(x *float32, n8 int) float32

// maxAVX2Slice runs the assembly on whole groups of eight and Go on the
// rest.
func maxAVX2Slice(x []float32) float32 {
	n8 := len(x) &^ 7
	if n8 == 0 {
		return maxGeneric(x)
	}
	m := maxAVX2(&x[0], n8)
	if n8 < len(x) {
		m = max(m, maxGeneric(x[n8:]))
	}
	return m
}

//go:noescape
func expShiftSumAVX2(y *float32, n8 int, shift float32) float32

// expShiftSumAVX2Slice runs the assembly on whole groups of eight and Go on
// the rest; the two partial sums are added in a fixed order.
func expShiftSumAVX2Slice(y []float32, shift float32) float32 {
	n8 := len(y) &^ 7
	var s float32
	if n8 > 0 {
		s = expShiftSumAVX2(&y[0], n8, shift)
	}
	return s + expShiftSumGeneric(y[n8:], shift)
}

//go:noescape
func layerNormRowAVX2(y, x, gamma, beta *float32, n8 int, eps float32) (mean, rstd float32)

//go:noescape
func layerNormRowBackwardAVX2(dx, dy, x, gamma *float32, n8 int, mean, rstd float32, add bool)

// layerNormAVX2Slice runs the assembly on rows whose width is a multiple
// of 8 (BERT's are) and Go on others.
func layerNormAVX2Slice(y, x, gamma, beta []float32, eps float32) (float32, float32) {
	n := len(x)
	if n%8 != 0 {
		return layerNormGeneric(y, x, gamma, beta, eps)
	}
	_, _, _ = y[n-1], gamma[n-1], beta[n-1]
	return layerNormRowAVX2(&y[0], &x[0], &gamma[0], &beta[0], n, eps)
}

func layerNormBackwardAVX2Slice(dx, dy, x, gamma []float32, mean, rstd float32, add bool) {
	n := len(x)
	if n%8 != 0 {
		layerNormBackwardGeneric(dx, dy, x, gamma, mean, rstd, add)
		return
	}
	_, _, _ = dx[n-1], dy[n-1], gamma[n-1]
	layerNormRowBackwardAVX2(&dx[0], &dy[0], &x[0], &gamma[0], n, mean, rstd, add)
}
