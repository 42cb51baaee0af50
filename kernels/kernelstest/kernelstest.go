// Package kernelstest helps the tests of packages built on the kernels
// run a check on every kernel tier the CPU has.
package kernelstest

import (
	"testing"

	"github.com/rrra/rrra/kernels"
)

// ForEachTier runs f once per kernel tier compiled in, as a subtest named
// after the tier with that tier selected, and restores the previous
// choice afterwards; a tier this CPU cannot run is skipped with the
// reason ("tier X not run: ...", the line CI's emulated-CPU legs count).
// (Package kernels' own tests keep a copy: they cannot import this
// package, which imports kernels.)
func ForEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, tier := range kernels.Tiers() {
		t.Run(tier, func(t *testing.T) {
			restore, ok := kernels.Use(tier)
			if !ok {
				_, why := kernels.Supported(tier)
				t.Skipf("tier %s not run: %s", tier, why)
			}
			defer restore()
			f(t)
		})
	}
}

// ForEachInt8Tier is ForEachTier for the integer-product tiers
// (kernels.Int8Tiers).
func ForEachInt8Tier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, tier := range kernels.Int8Tiers() {
		t.Run(tier, func(t *testing.T) {
			restore, ok := kernels.UseInt8(tier)
			if !ok {
				_, why := kernels.Int8Supported(tier)
				t.Skipf("tier %s not run: %s", tier, why)
			}
			defer restore()
			f(t)
		})
	}
}
