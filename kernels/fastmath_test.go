package kernels

import (
	"math"
	"testing"
)

func TestExp(t *testing.T) {
	worst := 0.0
	for x := float32(-87.3); x < 88.7; x += 0.000731 {
		want := math.Exp(float64(x))
		got := float64(Exp(x))
		rel := math.Abs(got-want) / want
		worst = math.Max(worst, rel)
		if rel > 3.0/(1<<24) {
			t.Fatalf("Exp(%v) = %v, want %v (relative error %.3g)", x, got, want, rel)
		}
	}
	t.Logf("largest relative error %.3g (%.2f units of 2⁻²⁴)", worst, worst*(1<<24))
	// Subnormal results: absolute error within one subnormal step, relative
	// error shrinking as the exponent grows.
	for x := float32(-103.9); x < -87.3; x += 0.0137 {
		want := math.Exp(float64(x))
		if d := math.Abs(float64(Exp(x)) - want); d > 1e-45+3.0/(1<<24)*want {
			t.Fatalf("Exp(%v) = %v, want %v", x, Exp(x), want)
		}
	}
	cases := []struct{ x, want float32 }{
		{0, 1}, {float32(math.Inf(1)), float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
		{89, float32(math.Inf(1))}, {-105, 0},
	}
	for _, c := range cases {
		if got := Exp(c.x); got != c.want {
			t.Errorf("Exp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if nan := Exp(float32(math.NaN())); nan == nan {
		t.Error("Exp(NaN) is not NaN")
	}
}

func TestErf(t *testing.T) {
	worst := 0.0
	for x := float32(-10); x < 10; x += 0.000317 {
		d := math.Abs(float64(Erf(x)) - math.Erf(float64(x)))
		worst = math.Max(worst, d)
		if d > 3e-7 {
			t.Fatalf("Erf(%v) = %v, want %v (error %.3g)", x, Erf(x), math.Erf(float64(x)), d)
		}
	}
	t.Logf("largest absolute error %.3g", worst)
	if Erf(float32(math.Inf(1))) != 1 || Erf(float32(math.Inf(-1))) != -1 || Erf(0) != 0 {
		t.Error("Erf at 0 or ±Inf")
	}
}

func BenchmarkExp(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = float32(i)/64 - 8
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += Exp(x)
		}
	}
	sinkF32 = s
	b.ReportMetric(float64(len(xs))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
}

// BenchmarkMathExp is the float64 package math route, for comparison.
func BenchmarkMathExp(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = float32(i)/64 - 8
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += float32(math.Exp(float64(x)))
		}
	}
	sinkF32 = s
	b.ReportMetric(float64(len(xs))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
}
