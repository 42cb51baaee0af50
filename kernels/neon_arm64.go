//go:build !purego

package kernels

// The neon tier: Go assembly for the ASIMD (NEON) unit every arm64 CPU
// has. Its SGEMM micro-kernel keeps an 8×12 tile of C in 24 of the 32
// 128-bit registers (sgemm_neon_arm64.s); the vector, activation, softmax
// and LayerNorm kernels work on four floats per register.
//
// Cache blocking, for the cores rrra's arm64 users run (Cortex-A72 and A76
// in Raspberry Pi 4 and 5, Neoverse N1, V1 and V2 in Graviton 2–4 and
// Ampere Altra): L1d is 32 KiB (A72) or 64 KiB (A76, N1, V1, V2); L2 is
// 512 KiB–2 MiB per core, or 1–2 MiB shared by four cores on the
// Raspberry Pis. kc 256 makes a B micro-panel 12×256×4 = 12 KiB and an A
// micro-panel 8 KiB, which sit together in even A72's L1 beside C's rows;
// mc 128 makes the packed A block 128×256×4 = 128 KiB, a quarter of the
// smallest per-core L2 share (the Pi 4's 1 MiB over four cores), so it
// stays in L2 while B's micro-panels stream through L1; nc 3072 (a
// multiple of 12) bounds the packed B block at 3 MiB, in L3 where there is
// one and otherwise streamed from memory once per 128 rows of C. These are
// chosen from the cache sizes, not measured: no arm64 host was available
// (docs/arm64.md).
func asmTiers() []*tier {
	return []*tier{neonTier()}
}

func neonTier() *tier {
	t := &tier{
		name: "neon", auto: true,
		mr: 8, nr: 12, mc: 128, kc: 256, nc: 3072,
		micro:   microNEON,
		gatherA: gather8NEONSlice, gatherB: gather12NEONSlice, gatherQ: 4,
		dot:       dotNEONSlice,
		axpy:      axpyNEONSlice,
		scale:     scaleNEONSlice,
		dotRows:   dotRowsNEON,
		dotRowsU8: dotRowsU8NEON,

		gelu:         geluNEONSlice,
		geluBackward: geluBackwardNEONSlice,
		expShiftSum:  expShiftSumNEONSlice,
		rowMax:       maxNEONSlice,

		layerNorm:         layerNormNEONSlice,
		layerNormBackward: layerNormBackwardNEONSlice,
	}
	t.supported = hasASIMD()
	return t
}

// hasASIMD reports whether the neon tiers can run: always. Go's own arm64
// runtime and internal/bytealg use ASIMD instructions without checking
// (VLD1, VEOR, …), so every CPU this binary runs on has it, and cpuid's
// report is not needed; it is missing where the OS does not expose the
// features (cpuid/v2 reads none on Windows), which would leave those CPUs
// on the scalar tier for nothing.
func hasASIMD() bool { return true }

//go:noescape
func sgemmMicroNEON(k int, a, b, c *float32, ldc int, alpha, beta float32)

// microNEON checks the panel lengths (the assembly trusts them) and runs the
// 8×12 micro-kernel.
func microNEON(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[8*k-1]
	_ = b[12*k-1]
	_ = c[7*ldc+11]
	sgemmMicroNEON(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

//go:noescape
func gather8NEON(src *float32, ld, k4 int, dst *float32)

//go:noescape
func gather12NEON(src *float32, ld, k4 int, dst *float32)

// gather8NEONSlice checks the extents (the assembly trusts them) and packs
// eight rows of A for the first k4 depth steps.
func gather8NEONSlice(src []float32, ld, k4 int, dst []float32) {
	_ = src[7*ld+k4-1]
	_ = dst[8*k4-1]
	gather8NEON(&src[0], ld, k4, &dst[0])
}

// gather12NEONSlice checks the extents (the assembly trusts them) and packs
// twelve rows of a transposed B for the first k4 depth steps.
func gather12NEONSlice(src []float32, ld, k4 int, dst []float32) {
	_ = src[11*ld+k4-1]
	_ = dst[12*k4-1]
	gather12NEON(&src[0], ld, k4, &dst[0])
}

//go:noescape
func dotNEON(x, y *float32, n int) float32

//go:noescape
func axpyNEON(alpha float32, x, y *float32, n int)

//go:noescape
func scaleNEON(alpha float32, x *float32, n int)

//go:noescape
func maxNEON(x *float32, n4 int) float32

//go:noescape
func dotU8NEON(w *float32, c *uint8, n int) float32

func dotNEONSlice(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	_ = y[len(x)-1]
	return dotNEON(&x[0], &y[0], len(x))
}

func axpyNEONSlice(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	_ = y[len(x)-1]
	axpyNEON(alpha, &x[0], &y[0], len(x))
}

func scaleNEONSlice(alpha float32, x []float32) {
	if len(x) == 0 {
		return
	}
	scaleNEON(alpha, &x[0], len(x))
}

// dotRowsNEON computes out[j] = Σ_p q[p]·docs[j*ldd+p] for j < len(out),
// one row at a time with the dot kernel (one sequential stream, as
// dotRowsAVX2 explains). It calls the kernel directly, as dotRowsAVX2
// does, rather than through a function value shared by both: on x86 a row
// of 128 floats streams in about 14 ns (BenchmarkScores d128 at 36 GB/s),
// and an indirect call per row would be a visible part of that.
func dotRowsNEON(q, docs []float32, ldd int, out []float32) {
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
		out[j] = dotNEON(&q[0], &docs[j*ldd], d)
	}
}

// dotRowsU8NEON is DotRowsU8, one row at a time (vector_neon_arm64.s).
func dotRowsU8NEON(w []float32, codes []uint8, ldc int, out []float32) {
	dotRowsU8With(dotU8NEON, w, codes, ldc, out)
}

// maxNEONSlice runs the assembly on whole groups of four and Go on the
// rest.
func maxNEONSlice(x []float32) float32 {
	n4 := len(x) &^ 3
	if n4 == 0 {
		return maxGeneric(x)
	}
	m := maxNEON(&x[0], n4)
	if n4 < len(x) {
		m = max(m, maxGeneric(x[n4:]))
	}
	return m
}

//go:noescape
func geluNEON(y, x *float32, n4 int)

//go:noescape
func geluBackwardNEON(dx, dy, x *float32, n4 int, add bool)

//go:noescape
func expShiftSumNEON(y *float32, n4 int, shift float32) float32

// geluNEONSlice runs the assembly on whole groups of four and Go on the
// rest.
func geluNEONSlice(y, x []float32) {
	n4 := len(x) &^ 3
	if n4 > 0 {
		_ = y[n4-1]
		geluNEON(&y[0], &x[0], n4)
	}
	geluGeneric(y[n4:], x[n4:])
}

func geluBackwardNEONSlice(dx, dy, x []float32, add bool) {
	n4 := len(x) &^ 3
	if n4 > 0 {
		_ = dx[n4-1]
		_ = dy[n4-1]
		geluBackwardNEON(&dx[0], &dy[0], &x[0], n4, add)
	}
	geluBackwardGeneric(dx[n4:], dy[n4:], x[n4:], add)
}

// expShiftSumNEONSlice runs the assembly on whole groups of four and Go on
// the rest; the two partial sums are added in a fixed order.
func expShiftSumNEONSlice(y []float32, shift float32) float32 {
	n4 := len(y) &^ 3
	var s float32
	if n4 > 0 {
		s = expShiftSumNEON(&y[0], n4, shift)
	}
	return s + expShiftSumGeneric(y[n4:], shift)
}

//go:noescape
func layerNormRowNEON(y, x, gamma, beta *float32, n4 int, eps float32) (mean, rstd float32)

//go:noescape
func layerNormRowBackwardNEON(dx, dy, x, gamma *float32, n4 int, mean, rstd float32, add bool)

// layerNormNEONSlice runs the assembly on rows whose width is a multiple
// of 4 (BERT's are) and Go on others.
func layerNormNEONSlice(y, x, gamma, beta []float32, eps float32) (float32, float32) {
	n := len(x)
	if n%4 != 0 {
		return layerNormGeneric(y, x, gamma, beta, eps)
	}
	_, _, _ = y[n-1], gamma[n-1], beta[n-1]
	return layerNormRowNEON(&y[0], &x[0], &gamma[0], &beta[0], n, eps)
}

func layerNormBackwardNEONSlice(dx, dy, x, gamma []float32, mean, rstd float32, add bool) {
	n := len(x)
	if n%4 != 0 {
		layerNormBackwardGeneric(dx, dy, x, gamma, mean, rstd, add)
		return
	}
	_, _, _ = dx[n-1], dy[n-1], gamma[n-1]
	layerNormRowBackwardNEON(&dx[0], &dy[0], &x[0], &gamma[0], n, mean, rstd, add)
}
