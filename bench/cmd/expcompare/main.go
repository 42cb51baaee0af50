// Command expcompare tests the difference in nDCG@10 between two methods of
// rrra experiment runs, possibly from different runs on the same data and
// seeds (an RRRA variant trained alone against the heuristics' run):
//
//	go run ./bench/cmd/expcompare A/results.json:METHOD B/results.json:METHOD
//
// It reads each method's per-query nDCG@10 (averaged over seeds) and prints
// both means and the two-sided paired randomization test's p-value (10,000
// trials), as rrra experiment does within one run.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/rrra/rrra/adapter/experiment"
	"github.com/rrra/rrra/retrieval/metrics"
)

// load returns the per-query nDCG@10 of "FILE:METHOD" and the run's data
// and seed count.
func load(arg string) (map[string]float64, string, error) {
	i := strings.LastIndexByte(arg, ':')
	if i < 0 {
		return nil, "", fmt.Errorf("%q: want results.json:METHOD", arg)
	}
	file, method := arg[:i], arg[i+1:]
	f, err := os.Open(file)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	r, err := experiment.ReadResults(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	m := r.Method(experiment.Method(method))
	if m == nil {
		return nil, "", fmt.Errorf("%s: no method %s", file, method)
	}
	if len(m.PerQuery) == 0 {
		return nil, "", fmt.Errorf("%s: method %s has no ndcg_cut_10_per_query", file, method)
	}
	return m.PerQuery, fmt.Sprintf("%s, %d seeds", r.Data, r.Seeds), nil
}

func mean(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s / float64(len(m))
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: expcompare A/results.json:METHOD B/results.json:METHOD")
		os.Exit(2)
	}
	a, da, err := load(os.Args[1])
	if err == nil {
		var b map[string]float64
		var db string
		if b, db, err = load(os.Args[2]); err == nil {
			if da != db {
				err = fmt.Errorf("the runs differ: %s against %s", da, db)
			} else {
				var p float64
				if p, err = metrics.RandomizationTest(a, b, 10000, 1); err == nil {
					fmt.Printf("%s: nDCG@10 %.4f against %.4f (%+.4f), %d queries, paired randomization test p = %.3g\n",
						da, mean(a), mean(b), mean(a)-mean(b), len(a), p)
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "expcompare:", err)
		os.Exit(1)
	}
}
