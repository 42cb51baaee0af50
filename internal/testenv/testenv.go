// Package testenv holds what rrra's tests share about the environment
// they run in.
package testenv

import (
	"os"
	"testing"
)

// RequireE2E skips a slow end-to-end run (a training run of many steps, a
// whole pipeline through the command line) unless RRRA_E2E=1, so that a
// plain "go test ./..." stays quick; CI sets RRRA_E2E=1 and runs them all.
func RequireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("RRRA_E2E") != "1" {
		t.Skip("slow end-to-end run: set RRRA_E2E=1 (CI does)")
	}
}
