package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSoftmaxRow(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(41, 42))
		for _, n := range []int{1, 2, 7, 8, 9, 16, 31, 128, 257} {
			for _, masked := range []bool{false, true} {
				x := make([]float32, n)
				var mask []float32
				for i := range x {
					x[i] = float32(r.NormFloat64() * 4)
				}
				if masked {
					mask = make([]float32, n)
					for i := range mask {
						if i%3 == 2 {
							mask[i] = -1e9
						} else {
							mask[i] = float32(r.NormFloat64())
						}
					}
				}
				want := make([]float64, n)
				mx := math.Inf(-1)
				for i, v := range x {
					want[i] = float64(v)
					if mask != nil {
						want[i] += float64(mask[i])
					}
					mx = math.Max(mx, want[i])
				}
				var s float64
				for i := range want {
					want[i] = math.Exp(want[i] - mx)
					s += want[i]
				}
				g := newGuarded(n, n%4)
				y := g.s()
				SoftmaxRow(y, x, mask)
				for i := range want {
					want[i] /= s
					if mask != nil && mask[i] < -1e8 && y[i] != 0 {
						t.Fatalf("n=%d: masked entry %d is %v, want exactly 0", n, i, y[i])
					}
					if d := math.Abs(float64(y[i]) - want[i]); d > 1e-6*want[i]+1e-9 {
						t.Fatalf("n=%d masked=%v: y[%d] = %v, want %v", n, masked, i, y[i], want[i])
					}
				}
				g.check(t, "SoftmaxRow y")
				// In place gives the same values.
				z := append([]float32(nil), x...)
				SoftmaxRow(z, z, mask)
				for i := range z {
					if z[i] != y[i] {
						t.Fatalf("n=%d: in-place result differs at %d", n, i)
					}
				}
			}
		}
	})
}

// TestRowMax checks each tier's row maximum against a plain loop, for
// lengths around the vector widths, the maximum at every position, and a
// NaN anywhere (which must come out NaN, as a softmax of it must).
func TestRowMax(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		f := current.Load().rowMax
		r := rand.New(rand.NewPCG(43, 44))
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 33, 64, 257} {
			for at := 0; at < n; at++ {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				x[at] = 100
				if got := f(x); got != 100 {
					t.Fatalf("n=%d, maximum at %d: got %v", n, at, got)
				}
				x[at] = float32(math.NaN())
				if got := f(x); !math.IsNaN(float64(got)) {
					t.Fatalf("n=%d, NaN at %d: got %v, want NaN", n, at, got)
				}
				for i := range x {
					x[i] = float32(math.Inf(-1))
				}
				if got := f(x); !math.IsInf(float64(got), -1) {
					t.Fatalf("n=%d, all −Inf: got %v", n, got)
				}
			}
		}
	})
}
