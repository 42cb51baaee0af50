package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func refGELU(x float64) (y, grad float64) {
	cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
	return x * cdf, cdf + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}

// TestGELU checks GELU and GELUBackward on every tier against float64
// references, over a sweep that crosses the erf branch at |x| = √2, large
// magnitudes, and random values with guard bands and odd lengths. The
// bound: the float32 Erf's 3e-7 absolute error times |x|/2, plus a few
// float32 roundings of the result.
func TestGELU(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		var xs []float32
		for x := float32(-12); x <= 12; x += 0.00173 {
			xs = append(xs, x)
		}
		xs = append(xs, 0, float32(math.Sqrt2), -float32(math.Sqrt2), 40, -40, 1e-30, -1e-30)
		for i := 0; i < 1000; i++ {
			xs = append(xs, float32(r.NormFloat64()*3))
		}
		for _, n := range []int{len(xs), 1, 7, 8, 9, 17, 1001} {
			x := xs[:n]
			gy, gdx := newGuarded(n, n%4), newGuarded(n, (n+1)%4)
			y, dx := gy.s(), gdx.s()
			dy := make([]float32, n)
			for i := range dy {
				dy[i] = float32(r.NormFloat64())
				dx[i] = float32(r.NormFloat64())
			}
			dx0 := append([]float32(nil), dx...)
			GELU(y, x)
			GELUBackward(dx, dy, x, true)
			set := make([]float32, n)
			for i := range set {
				set[i] = float32(math.NaN()) // must not be read
			}
			GELUBackward(set, dy, x, false)
			for i, v := range x {
				wy, wg := refGELU(float64(v))
				ax := math.Abs(float64(v))
				if d := math.Abs(float64(y[i]) - wy); d > 2e-7*ax+3e-7*math.Abs(wy)+1e-37 {
					t.Fatalf("GELU(%v) = %v, want %v (error %.3g)", v, y[i], wy, d)
				}
				want := float64(dx0[i]) + float64(dy[i])*wg
				tol := 6e-7*(1+ax)*math.Abs(float64(dy[i])) + 3e-7*math.Abs(float64(dx0[i]))
				if d := math.Abs(float64(dx[i]) - want); d > tol {
					t.Fatalf("GELUBackward at x=%v: %v, want %v (error %.3g > %.3g)", v, dx[i], want, d, tol)
				}
				if d := math.Abs(float64(set[i]) - float64(dy[i])*wg); !(d <= 6e-7*(1+ax)*math.Abs(float64(dy[i]))) {
					t.Fatalf("GELUBackward (set) at x=%v: %v, want %v", v, set[i], float64(dy[i])*wg)
				}
			}
			gy.check(t, "GELU y")
			gdx.check(t, "GELUBackward dx")
		}
	})
}

func BenchmarkGELU(b *testing.B) {
	x, y := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i)/4096 - 8
	}
	forEachTier(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			for b.Loop() {
				GELU(y, x)
			}
			b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
		b.Run("backward", func(b *testing.B) {
			for b.Loop() {
				GELUBackward(y, x, x, true)
			}
			b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	})
}
