package adapter

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/rrra/rrra/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden loss trajectories in testdata/ from this run")

// checkGolden compares a seeded run's loss trajectory with the one
// recorded in path (golden.Check), or records it with -update.
func checkGolden(t *testing.T, path, name string, got []float64, tol float64) {
	t.Helper()
	golden.Check(t, path, name, got, tol, *update, "per-epoch losses of seeded adapter fits, checked by TestFitLearns, TestResidualLearns and TestTokenFindsTermMatch; rewrite with: go test ./adapter -run 'Learns|TermMatch' -update")
}

// fitLosses returns the per-epoch losses of a Fit run from its log (one
// "adapter epoch E/N: loss L" line per epoch, L to 4 decimals) followed by
// last, the final epoch's loss as Fit returns it, at full precision.
func fitLosses(t *testing.T, log string, last float64) []float64 {
	t.Helper()
	var losses []float64
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e, n int
		var l float64
		if _, err := fmt.Sscanf(line, "adapter epoch %d/%d: loss %g", &e, &n, &l); err != nil {
			t.Fatalf("Fit's log line %q: %v", line, err)
		}
		losses = append(losses, l)
	}
	return append(losses, last)
}

// goldenFitPath holds the per-epoch losses of the seeded fits of
// TestFitLearns, TestResidualLearns and TestTokenFindsTermMatch.
const goldenFitPath = "testdata/fit_golden.json"

// goldenFitTol bounds each loss's difference from the recorded one,
// relative to max(1, |loss|). Fit logs its per-epoch losses to 4
// decimals, so two runs a hair apart can differ by 1e-4 in a logged value
// (the last value, as Fit returns it, is exact); beyond that, the fits
// under RRRA_KERNELS=avx512, avx2 and generic on amd64, and generic on
// arm64 (measured under qemu-aarch64), differ by at most 6e-8 relative.
// A 1% change of the learning rate moves the trajectories by 2.4e-3 to
// 8.8e-3, well outside 2e-4.
const goldenFitTol = 2e-4
