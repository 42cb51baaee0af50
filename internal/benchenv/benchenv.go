// Package benchenv reads the settings that benchmarks share from the
// environment, so that a run on a bigger machine can widen them without
// editing the benchmarks.
package benchenv

import (
	"os"
	"strconv"
	"strings"
)

// EnvThreads names the variable that lists the thread counts benchmarks
// run at, e.g. RRRA_BENCH_THREADS=1,2,4,8,16.
const EnvThreads = "RRRA_BENCH_THREADS"

// Threads returns the thread counts of EnvThreads, or 1 and 2 (this
// project's reference machine has two cores) when it is unset. It panics
// on a malformed list: a benchmark run with a typo should stop, not
// quietly measure something else.
func Threads() []int {
	s := os.Getenv(EnvThreads)
	if s == "" {
		return []int{1, 2}
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			panic(EnvThreads + "=" + s + ": want positive thread counts separated by commas")
		}
		out = append(out, n)
	}
	return out
}
