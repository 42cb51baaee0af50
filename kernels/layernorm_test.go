package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLayerNormRow(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(61, 62))
		for _, n := range []int{1, 8, 13, 16, 256, 768, 1032} {
			for _, offset := range []float64{0, 3, -20} {
				x, gamma, beta, dy := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
				for i := range x {
					x[i] = float32(offset + r.NormFloat64()*2)
					gamma[i] = float32(1 + 0.3*r.NormFloat64())
					beta[i] = float32(0.1 * r.NormFloat64())
					dy[i] = float32(r.NormFloat64())
				}
				// float64 reference
				var mu, v float64
				for _, e := range x {
					mu += float64(e)
				}
				mu /= float64(n)
				for _, e := range x {
					v += (float64(e) - mu) * (float64(e) - mu)
				}
				rs := 1 / math.Sqrt(v/float64(n)+1e-5)
				var sg, sgx float64
				for i, e := range x {
					g := float64(dy[i]) * float64(gamma[i])
					sg += g
					sgx += g * (float64(e) - mu) * rs
				}
				gy := newGuarded(n, n%4)
				y := gy.s()
				m, s := LayerNormRow(y, x, gamma, beta, 1e-5)
				if math.Abs(float64(m)-mu) > 1e-5*(1+math.Abs(mu)) || math.Abs(float64(s)-rs) > 1e-5*rs {
					t.Fatalf("n=%d offset=%v: mean %v rstd %v, want %v %v", n, offset, m, s, mu, rs)
				}
				gdx := newGuarded(n, (n+1)%4)
				dx := gdx.s()
				for i := range dx {
					dx[i] = 0.5
				}
				LayerNormRowBackward(dx, dy, x, gamma, m, s, true)
				set := make([]float32, n)
				for i := range set {
					set[i] = float32(math.NaN())
				}
				LayerNormRowBackward(set, dy, x, gamma, m, s, false)
				for i, e := range x {
					xh := (float64(e) - mu) * rs
					want := xh*float64(gamma[i]) + float64(beta[i])
					if d := math.Abs(float64(y[i]) - want); d > 2e-5*(1+math.Abs(want)) {
						t.Fatalf("n=%d offset=%v: y[%d] = %v, want %v", n, offset, i, y[i], want)
					}
					wd := rs * (float64(dy[i])*float64(gamma[i]) - sg/float64(n) - xh*sgx/float64(n))
					if d := math.Abs(float64(set[i]) - wd); d > 2e-5*(1+math.Abs(wd)) {
						t.Fatalf("n=%d offset=%v: dx[%d] = %v, want %v", n, offset, i, set[i], wd)
					}
					if d := math.Abs(float64(dx[i]) - (0.5 + wd)); d > 2e-5*(1+math.Abs(wd)) {
						t.Fatalf("n=%d: accumulated dx[%d] = %v, want %v", n, i, dx[i], 0.5+wd)
					}
				}
				gy.check(t, "LayerNormRow y")
				gdx.check(t, "LayerNormRowBackward dx")
			}
		}
	})
}
