package nn

import (
	"flag"
	"testing"

	"github.com/rrra/rrra/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden loss trajectories in testdata/ from this run")

// checkGolden compares a seeded run's loss trajectory with the one
// recorded in path (golden.Check), or records it with -update.
func checkGolden(t *testing.T, path, name string, got []float64, tol float64) {
	t.Helper()
	golden.Check(t, path, name, got, tol, *update, "loss trajectories of seeded training runs, checked by TestTrainGolden; rewrite with: go test ./nn -run TestTrainGolden -update")
}
