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
	forEach(t, kernels.Tiers(), kernels.Use, kernels.Supported, f)
}

// ForEachInt8Tier is ForEachTier for the integer-product tiers
// (kernels.Int8Tiers).
func ForEachInt8Tier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	forEach(t, kernels.Int8Tiers(), kernels.UseInt8, kernels.Int8Supported, f)
}

// forEach runs f once per named tier of one kind, selected with use,
// skipping (with supported's reason) a tier this CPU cannot run.
func forEach(t *testing.T, names []string, use func(string) (func(), bool), supported func(string) (bool, string), f func(t *testing.T)) {
	t.Helper()
	for _, tier := range names {
		t.Run(tier, func(t *testing.T) {
			restore, ok := use(tier)
			if !ok {
				_, why := supported(tier)
				t.Skipf("tier %s not run: %s", tier, why)
			}
			defer restore()
			f(t)
		})
	}
}
