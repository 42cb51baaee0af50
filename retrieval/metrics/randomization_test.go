package metrics

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// exactSignFlipP enumerates all 2^n sign patterns of d and returns the
// fraction whose |sum| is at least |Σd|: the exact permutation p-value that
// RandomizationTest estimates.
func exactSignFlipP(d []float64) float64 {
	observed := 0.0
	for _, x := range d {
		observed += x
	}
	count := 0
	for mask := 0; mask < 1<<len(d); mask++ {
		sum := 0.0
		for i, x := range d {
			if mask>>i&1 == 1 {
				sum -= x
			} else {
				sum += x
			}
		}
		if math.Abs(sum) >= math.Abs(observed)-1e-9 {
			count++
		}
	}
	return float64(count) / float64(int(1)<<len(d))
}

func TestRandomizationTestMatchesEnumeration(t *testing.T) {
	const trials = 20000
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shift := range []float64{0, 0.05, 0.15, 0.3} {
		const n = 12
		a, b := map[string]float64{}, map[string]float64{}
		d := make([]float64, n)
		for i := range n {
			q := strconv.Itoa(i)
			a[q] = rng.Float64()
			b[q] = a[q] - shift - 0.2*rng.NormFloat64()
			d[i] = a[q] - b[q]
		}
		exact := exactSignFlipP(d)
		got, err := RandomizationTest(a, b, trials, 42)
		if err != nil {
			t.Fatal(err)
		}
		// Binomial sampling error, plus the add-one smoothing.
		tol := 4*math.Sqrt(exact*(1-exact)/trials) + 2.0/trials
		if math.Abs(got-exact) > tol {
			t.Errorf("shift %v: p = %v, exact %v (tolerance %v)", shift, got, exact, tol)
		}
	}
}

func TestRandomizationTestProperties(t *testing.T) {
	a := sample(0.9, 0.8, 0.7, 0.95, 0.85, 0.6, 0.75, 0.9)
	b := sample(0.1, 0.2, 0.3, 0.15, 0.25, 0.2, 0.1, 0.3)
	p1, err := RandomizationTest(a, b, 999, 7)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := RandomizationTest(a, b, 999, 7)
	if p1 != p2 {
		t.Errorf("same seed: p %v then %v", p1, p2)
	}
	// Every difference is positive: only the identity and the all-flipped
	// pattern reach |Σd|, 2 of 256, and the smoothing keeps p ≥ 1/(trials+1).
	if p1 < 1.0/1000 || p1 > 0.03 {
		t.Errorf("strong effect: p = %v, want about 2/256", p1)
	}
	if p, _ := RandomizationTest(a, a, 500, 1); p != 1 {
		t.Errorf("identical samples: p = %v, want 1", p)
	}
	if _, err := RandomizationTest(a, b, 0, 1); err == nil {
		t.Error("0 trials: no error")
	}
	if _, err := RandomizationTest(a, map[string]float64{"x": 1}, 10, 1); err == nil {
		t.Error("no common query: no error")
	}
}
