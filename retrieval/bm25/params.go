package bm25

import (
	"fmt"
	"math"
)

// Params are the BM25 parameters.
type Params struct {
	// K1 (≥ 0) controls how fast a term's weight saturates with its
	// frequency in the document.
	K1 float32
	// B (in [0, 1]) controls how much the document length normalises the
	// term frequency.
	B float32
	// ExactLengths makes BM25 use each document's exact length. By default
	// it uses Lucene's lossy one-byte encoding of the length (exact below
	// 24 terms, then rounded down to 4 significant bits of the excess), so
	// that scores equal Lucene's.
	ExactLengths bool
}

// DefaultParams returns Anserini's BM25 parameters: k1 = 0.9, b = 0.4, and
// Lucene's lossy document lengths.
func DefaultParams() Params {
	return Params{K1: 0.9, B: 0.4}
}

// validate reports whether p are usable parameters.
func (p Params) validate() error {
	if math.IsNaN(float64(p.K1)) || math.IsInf(float64(p.K1), 0) || p.K1 < 0 {
		return fmt.Errorf("bm25: k1 = %v, want a finite value ≥ 0", p.K1)
	}
	if !(p.B >= 0 && p.B <= 1) {
		return fmt.Errorf("bm25: b = %v, want a value in [0, 1]", p.B)
	}
	return nil
}
