package main

import (
	"testing"

	"github.com/rrra/rrra/internal/testenv"
)

// requireE2E skips a slow end-to-end run unless RRRA_E2E=1 (see
// testenv.RequireE2E); -short skips as before where a test says so.
func requireE2E(t *testing.T) {
	t.Helper()
	testenv.RequireE2E(t)
}
