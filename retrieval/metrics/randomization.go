package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RandomizationTest runs a two-sided paired randomization (sign-flip
// permutation) test of a against b over the queries present in both, and
// returns its p-value.
//
// Under the null hypothesis that the two systems are exchangeable, each
// per-query difference a[q] − b[q] is as likely to have either sign. Each of
// trials rounds flips the sign of every difference with probability 1/2 and
// counts the rounds whose |sum| is at least the observed |sum| (up to a
// relative tolerance of 1e-9, so that sign patterns that tie exactly are
// not lost to rounding). The p-value is (count+1)/(trials+1): the add-one
// smoothing counts the observed assignment as one of the permutations, which
// keeps the estimate a valid p-value (never 0) however few trials are run.
//
// The result is deterministic given seed: the queries are taken in the order
// WriteRun uses for query ids and the signs come from a PCG generator seeded
// with seed.
func RandomizationTest(a, b map[string]float64, trials int, seed uint64) (float64, error) {
	if trials < 1 {
		return 0, fmt.Errorf("metrics: randomization test: %d trials, need at least 1", trials)
	}
	d, err := differences(a, b)
	if err != nil {
		return 0, fmt.Errorf("metrics: randomization test: %w", err)
	}
	observed, scale := 0.0, 0.0
	for _, x := range d {
		observed += x
		scale += math.Abs(x)
	}
	threshold := math.Abs(observed) - 1e-9*scale
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	count := 0
	for range trials {
		sum := 0.0
		var bits uint64
		for i, x := range d {
			if i%64 == 0 {
				bits = rng.Uint64()
			}
			if bits&1 == 1 {
				x = -x
			}
			bits >>= 1
			sum += x
		}
		if math.Abs(sum) >= threshold {
			count++
		}
	}
	return float64(count+1) / float64(trials+1), nil
}
