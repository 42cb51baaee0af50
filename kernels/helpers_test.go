package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tierRunner is what forEachTier needs of *testing.T and *testing.B: the
// common methods and subtests (or sub-benchmarks) of its own kind.
type tierRunner[T any] interface {
	testing.TB
	Run(name string, f func(T)) bool
}

// forEachTier runs f once per tier compiled into the binary, as a subtest
// (or sub-benchmark) named after the tier, with that tier selected for
// every kernel (Selected names it), and restores the previous choice
// afterwards. It serves tests and benchmarks alike. A tier this CPU cannot
// run is skipped with the reason ("tier X not run: ...": CI's emulated-CPU
// leg counts these lines).
func forEachTier[T tierRunner[T]](tb T, f func(tb T)) {
	tb.Helper()
	forEachIn(tb, Tiers(), Use, Supported, f)
}

// forEachIn is forEachTier over one kind of tier: its names, how to
// select one and whether this CPU can run it (the integer and bfloat16
// kinds use it too).
func forEachIn[T tierRunner[T]](tb T, names []string, use func(string) (func(), bool), supported func(string) (bool, string), f func(tb T)) {
	tb.Helper()
	for _, name := range names {
		tb.Run(name, func(tb T) {
			restore, ok := use(name)
			if !ok {
				_, reason := supported(name)
				tb.Skipf("tier %s not run: %s", name, reason)
			}
			defer restore()
			f(tb)
		})
	}
}

// forEachPath runs f once per tier and, within each, once with the tier's
// default choice of reading A in place or packing it, and once with A always
// packed, so both paths of the driver are covered whatever the shapes.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	forEachTier(t, func(t *testing.T) {
		t.Run("default", f)
		t.Run("packedA", func(t *testing.T) {
			old := directAMaxN
			directAMaxN = -1
			defer func() { directAMaxN = old }()
			f(t)
		})
	})
}

// guarded is a slice embedded in a larger buffer with sentinel guard bands
// on both sides, starting at a chosen offset (to misalign it).
type guarded struct {
	buf []float32
	lo  int
	n   int
}

const guardLen = 24

// newGuarded returns n elements at offset off (0..3 misaligns the start)
// after a guard band, followed by another guard band.
func newGuarded(n, off int) *guarded {
	g := &guarded{buf: make([]float32, guardLen+off+n+guardLen), lo: guardLen + off, n: n}
	for i := range g.buf {
		g.buf[i] = sentinel(i)
	}
	return g
}

// sentinel is the guard value at buffer index i: distinct, finite, and not
// something a kernel would produce by accident.
func sentinel(i int) float32 { return -777.125 - float32(i) }

func (g *guarded) s() []float32 { return g.buf[g.lo : g.lo+g.n : g.lo+g.n] }

// check fails t if any guard element changed.
func (g *guarded) check(t *testing.T, what string) {
	t.Helper()
	for i := range g.buf {
		if i >= g.lo && i < g.lo+g.n {
			continue
		}
		if g.buf[i] != sentinel(i) {
			t.Fatalf("%s: guard band element %d (slice is [%d,%d)) overwritten: %v", what, i, g.lo, g.lo+g.n, g.buf[i])
		}
	}
}

func fillRandom(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
}

// refGemm computes C = alpha·op(A)·op(B) + beta·C in float64 and returns,
// per element, the bound |alpha|·Σ|a||b| + |beta·c| used for the tolerance.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (ref, mag []float64) {
	ref = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			r := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			ref[i*n+j], mag[i*n+j] = r, g
		}
	}
	return ref, mag
}

// gemmTol is the error bound for a float32 product of depth k: the classic
// k·u·Σ|a||b| with u = 2⁻²⁴, doubled, plus the rounding of the alpha and
// beta scalings.
func gemmTol(k int, mag float64) float64 {
	const u = 1.0 / (1 << 24)
	return 2*float64(k+4)*u*mag + 1e-30
}
