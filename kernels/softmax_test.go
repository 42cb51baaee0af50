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
