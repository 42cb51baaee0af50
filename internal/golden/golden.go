// Package golden checks seeded runs against their committed trajectories
// (a loss per logged step or epoch), for the tests of rrra's learning code:
// a change that alters training shows as a difference beyond a stated
// tolerance, where a threshold on the final figure would let it pass.
package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/rrra/rrra/kernels"
)

// A File holds seeded runs' loss trajectories, by run name.
type File struct {
	Comment string               `json:"comment"`
	Tier    string               `json:"tier"` // GOARCH/kernel tier that recorded them
	Runs    map[string][]float64 `json:"runs"`
}

// Check compares the trajectory got of the run called name with the one
// recorded in path: each value must be within tol of the recorded one,
// relative to max(1, |recorded|). With update it records got instead,
// with comment (how to rewrite the file) at the file's head.
func Check(t *testing.T, path, name string, got []float64, tol float64, update bool, comment string) {
	t.Helper()
	var g File
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &g)
	}
	if update {
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if g.Runs == nil {
			g.Runs = map[string][]float64{}
		}
		g.Comment, g.Tier = comment, Tier()
		g.Runs[name] = got
		b, err := json.MarshalIndent(g, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s in %s: %v", name, path, got)
		return
	}
	if err != nil {
		t.Fatalf("%v (record it with -update)", err)
	}
	want, ok := g.Runs[name]
	if !ok {
		t.Fatalf("%s has no run %q (record it with -update)", path, name)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, %s recorded %d", name, len(got), path, len(want))
	}
	worst, at := 0.0, 0
	for i := range want {
		d := math.Abs(got[i]-want[i]) / math.Max(1, math.Abs(want[i]))
		if math.IsNaN(d) {
			worst, at = math.Inf(1), i
			break
		}
		if d > worst {
			worst, at = d, i
		}
	}
	t.Logf("%s: largest relative difference from %s (recorded on %s, now %s): %.2g at record %d", name, path, g.Tier, Tier(), worst, at)
	if worst > tol {
		t.Errorf("%s: value %d is %v, recorded %v (relative difference %.2g > %.2g)\ngot  %s\nwant %s",
			name, at, got[at], want[at], worst, tol, format(got), format(want))
	}
}

// Tier names the architecture and kernel tier in use, e.g. amd64/avx2.
func Tier() string { return runtime.GOARCH + "/" + kernels.Selected() }

// format writes a trajectory for a failure message.
func format(l []float64) string {
	parts := make([]string, len(l))
	for i, x := range l {
		parts[i] = fmt.Sprintf("%.6f", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
