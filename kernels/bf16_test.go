package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// forEachBF16Tier runs f once per bfloat16 tier as a subtest, skipping (with
// the reason) a tier this CPU cannot run.
func forEachBF16Tier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	forEachIn(t, BF16Tiers(), UseBF16, BF16Supported, f)
}

// TestToBF16 checks the conversion against the definition: the nearest
// bfloat16, ties to even, on values chosen at and around the ties, and the
// special values.
func TestToBF16(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even below
		{0x3f818000, 0x3f82}, // tie, even above
		{0x3f808001, 0x3f81}, // just past the tie
		{0x3f807fff, 0x3f80}, // just before
		{0x7f7fffff, 0x7f80}, // largest float32 rounds to +Inf
		{0xff7fffff, 0xff80}, // and its negative to -Inf
		{0x7f800000, 0x7f80}, // +Inf
		{0x00000001, 0x0000}, // smallest subnormal rounds to 0
		{0x80000000, 0x8000}, // -0
		{math.Float32bits(float32(math.NaN())), 0x7fc0},
	}
	for _, c := range cases {
		got := ToBF16(math.Float32frombits(c.in))
		if c.in&0x7fffffff > 0x7f800000 {
			if got&0x7f80 != 0x7f80 || got&0x7f == 0 {
				t.Errorf("NaN %#08x became %#04x, not a NaN", c.in, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("ToBF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	// Against float64 nearest for random finite values.
	r := rand.New(rand.NewPCG(30, 1))
	for range 100000 {
		x := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 3e38 {
			continue
		}
		b := ToBF16(x)
		lo, hi := FromBF16(b), FromBF16(b)
		// The neighbours of b in the direction of x.
		d := math.Abs(float64(x) - float64(lo))
		for _, nb := range []uint16{b - 1, b + 1} {
			y := float64(FromBF16(nb))
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			if e := math.Abs(float64(x) - y); e < d || (e == d && nb&1 == 0 && b&1 == 1) {
				t.Fatalf("ToBF16(%v) = %v, but %v is nearer (or an even tie)", x, lo, y)
			}
		}
		_ = hi
	}
}

// TestSgemmBF16 checks every bfloat16 tier against a float64 product of the
// unrounded operands with the bound of bf16.go: (2⁻⁷ + (k+4)·2⁻²⁴)·Σ|a||b|
// per element, on all four transpose cases, edge shapes around the tiles,
// strides, alpha and beta, and guard bands around C. It also checks that
// the error is at bfloat16's scale, not float32's: the operands must have
// been rounded.
func TestSgemmBF16(t *testing.T) {
	forEachBF16Tier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 1))
		var sumErr, sumMag float64
		for _, sh := range [][3]int{{1, 1, 1}, {3, 17, 5}, {12, 32, 2}, {13, 33, 7}, {25, 70, 64}, {12, 128, 384}, {30, 130, 1536}} {
			m, n, k := sh[0], sh[1], sh[2]
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				negZero := float32(math.Copysign(0, -1))
				for _, ab := range [][2]float32{{1, 0}, {0.5, 2}, {-1, negZero}} {
					transA, transB := tr[0], tr[1]
					alpha, beta := ab[0], ab[1]
					lda, ldb, ldc := k+3, n+2, n+5
					if transA {
						lda = m + 1
					}
					if transB {
						ldb = k + 1
					}
					rowsA, rowsB := m, k
					if transA {
						rowsA = k
					}
					if transB {
						rowsB = n
					}
					a := make([]float32, (rowsA-1)*lda+max(m, k)+1)
					b := make([]float32, (rowsB-1)*ldb+max(n, k)+1)
					fillRandom(r, a)
					fillRandom(r, b)
					g := newGuarded(m*ldc, 1)
					c := g.s()
					for i := range c {
						c[i] = float32(r.NormFloat64())
					}
					if beta == 0 {
						for i := range c {
							c[i] = float32(math.NaN()) // must not be read
						}
					}
					c0 := append([]float32(nil), c...)
					ref, mag := refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc)
					serial := append([]float32(nil), c0...)
					SgemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					g.check(t, fmt.Sprintf("%v %dx%dx%d", tr, m, n, k))
					SgemmBF16Serial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, serial, ldc)
					for i := range serial {
						if math.Float32bits(serial[i]) != math.Float32bits(c[i]) {
							t.Fatalf("%v %dx%dx%d: SgemmBF16Serial's C[%d] is %v, SgemmBF16's %v", tr, m, n, k, i, serial[i], c[i])
						}
					}
					for i := range m {
						for j := range ldc {
							got := c[i*ldc+j]
							if j >= n {
								if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
									t.Fatalf("%v %dx%dx%d: C[%d][%d] past the row changed", tr, m, n, k, i, j)
								}
								continue
							}
							want, mg := ref[i*n+j], mag[i*n+j]
							bound := (1.0/128+float64(k+4)/(1<<24))*mg + 1e-30
							if e := math.Abs(float64(got) - want); !(e <= bound) {
								t.Fatalf("%v %dx%dx%d α=%v β=%v: C[%d][%d] = %v, float64 %v: error %.3g above the bound %.3g",
									tr, m, n, k, alpha, beta, i, j, got, want, e, bound)
							} else {
								sumErr += e
								sumMag += mg
							}
						}
					}
				}
			}
		}
		if ratio := sumErr / sumMag; ratio < 1e-5 {
			t.Errorf("mean error %.3g of Σ|a||b|: at float32's scale; the operands were not rounded to bfloat16", ratio)
		}
	})
}

func BenchmarkSgemmBF16(b *testing.B) {
	for _, s := range [][3]int{{1024, 1024, 1024}, {512, 1536, 384}} {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(32, 1))
		a, bm, c := make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)
		fillRandom(r, a)
		fillRandom(r, bm)
		for _, name := range BF16Tiers() {
			b.Run(fmt.Sprintf("%s/NT/%dx%dx%d", name, m, n, k), func(b *testing.B) {
				restore, ok := UseBF16(name)
				if !ok {
					b.Skip("not supported")
				}
				defer restore()
				for b.Loop() {
					SgemmBF16(false, true, m, n, k, 1, a, k, bm, k, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestBF16Pack checks every tier's packing kernels against the Go loops,
// value for value, for lengths around their blocks of 16 and 32 and
// strides of the panels, with the untouched positions left alone.
func TestBF16Pack(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 1))
	forEachBF16Tier(t, func(t *testing.T) {
		tr := bf16Reg.load()
		for n := 1; n <= 100; n++ {
			r0, r1 := make([]float32, n), make([]float32, n)
			fillRandom(r, r0)
			fillRandom(r, r1)
			r0[0] = float32(math.Inf(-1))
			for _, stride := range []int{24, 32, 64} {
				size := ((n+1)/2)*stride + 8
				got, want := make([]uint16, size), make([]uint16, size)
				for i := range got {
					got[i], want[i] = 0xBEEF, 0xBEEF
				}
				tr.pairs(got, stride, r0)
				bf16PairsGo(want, stride, r0)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("pairs n=%d stride=%d: value %d is %#04x, Go wrote %#04x", n, stride, i, got[i], want[i])
					}
				}
			}
			for _, stride := range []int{32, 48, 96} {
				size := ((n+15)/16)*stride + 8
				got, want := make([]uint16, size), make([]uint16, size)
				for i := range got {
					got[i], want[i] = 0xBEEF, 0xBEEF
				}
				tr.interleave(got, stride, r0, r1)
				bf16InterleaveGo(want, stride, r0, r1)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("interleave n=%d stride=%d: value %d is %#04x, Go wrote %#04x", n, stride, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestBF16TierChoice checks the bfloat16 tier chosen at start-up: the best
// supported one, or generic under RRRA_KERNELS=generic (CI's emulated-CPU
// legs set RRRA_EXPECT_BF16_TIER).
func TestBF16TierChoice(t *testing.T) {
	checkTierChoice(t, "RRRA_EXPECT_BF16_TIER", SelectedBF16(), BF16Tiers(), BF16Supported, EnvBF16Tier)
}
