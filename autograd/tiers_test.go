package autograd

import (
	"testing"

	"github.com/rrra/rrra/kernels/kernelstest"
)

// forEachTier runs f once per kernel tier (kernelstest.ForEachTier).
func forEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	kernelstest.ForEachTier(t, f)
}
