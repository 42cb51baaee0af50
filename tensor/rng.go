package tensor

import (
	"fmt"
	"math/rand/v2"
)

// RNG is a seeded random number generator (PCG, from math/rand/v2) with the
// initialisations BERT uses. Its state can be saved and restored, so a
// resumed training run draws the same numbers as an uninterrupted one.
type RNG struct {
	src *rand.PCG
	r   *rand.Rand
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &RNG{src: src, r: rand.New(src)}
}

// Uint64 returns a uniformly distributed 64-bit value.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// Float32 returns a uniform value in [0, 1).
func (g *RNG) Float32() float32 { return g.r.Float32() }

// IntN returns a uniform value in [0, n); it panics if n <= 0.
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// NormFloat64 returns a standard normal value.
func (g *RNG) NormFloat64() float64 { return g.r.NormFloat64() }

// Normal fills t with values drawn from N(mean, std²): BERT's weight
// initialisation is Normal(t, 0, 0.02).
func (g *RNG) Normal(t *Tensor, mean, std float32) {
	for i := range t.Data {
		t.Data[i] = mean + std*float32(g.r.NormFloat64())
	}
}

// Uniform fills t with values drawn uniformly from [lo, hi).
func (g *RNG) Uniform(t *Tensor, lo, hi float32) {
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*g.r.Float32()
	}
}

// MarshalBinary returns the generator's state.
func (g *RNG) MarshalBinary() ([]byte, error) { return g.src.MarshalBinary() }

// UnmarshalBinary restores a state returned by MarshalBinary.
func (g *RNG) UnmarshalBinary(b []byte) error {
	if err := g.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("tensor: restoring RNG state: %w", err)
	}
	return nil
}
