package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// A Comparison tests one run against another, measure by measure, on the
// queries both have: what `rrra eval --compare` prints and writes as
// JSON.
type Comparison struct {
	Run      string              `json:"run"`     // names the first run (its file)
	Compare  string              `json:"compare"` // names the run it is tested against
	Trials   int                 `json:"trials"`  // randomization test trials
	Measures []MeasureComparison `json:"measures"`
}

// MeasureComparison tests the per-query difference run − compare of one
// measure.
type MeasureComparison struct {
	Measure    string    `json:"measure"`
	Run        float64   `json:"run"`        // the run's mean over the queries both runs have
	Compare    float64   `json:"compare"`    // the compared run's mean over those queries
	Difference float64   `json:"difference"` // run − compare
	Queries    int       `json:"queries"`    // queries both have
	T          JSONFloat `json:"t"`          // paired t statistic (null when infinite: every difference equal, not 0)
	DF         int       `json:"df"`
	PT         float64   `json:"p_t_test"`        // two-sided p of the paired t-test
	PRand      float64   `json:"p_randomization"` // two-sided p of the randomization test (seed 1)
}

// JSONFloat is a float64 that JSON writes as null when it is not finite.
type JSONFloat float64

// MarshalJSON writes f, or null for ±Inf and NaN, which JSON cannot hold.
func (f JSONFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// Compare tests a against b on every measure of a, over the queries both
// have (all the judged ones when both were evaluated with Complete): a
// paired t-test and a paired randomization test of trials trials. Each
// measure's values are means over those queries, counts (num_rel_ret)
// included, so that the difference is run − compare. runName and
// compareName label the runs.
func Compare(a, b *Report, runName, compareName string, trials int) (*Comparison, error) {
	if trials < 1 {
		return nil, fmt.Errorf("metrics: Compare: %d trials", trials)
	}
	c := &Comparison{Run: runName, Compare: compareName, Trials: trials}
	for _, m := range a.Measures {
		x, y := perQueryOf(a, m), perQueryOf(b, m)
		tt, err := PairedTTest(x, y)
		if err != nil {
			return nil, fmt.Errorf("%s against %s, measure %s: %w", runName, compareName, m, err)
		}
		p, err := RandomizationTest(x, y, trials, 1)
		if err != nil {
			return nil, fmt.Errorf("%s against %s, measure %s: %w", runName, compareName, m, err)
		}
		var sx, sy float64
		for _, q := range slices.Sorted(maps.Keys(x)) { // a fixed order: the same sums, bit for bit, every run
			if w, ok := y[q]; ok {
				sx, sy = sx+x[q], sy+w
			}
		}
		c.Measures = append(c.Measures, MeasureComparison{
			Measure: m, Run: sx / float64(tt.N), Compare: sy / float64(tt.N), Difference: tt.MeanDiff, Queries: tt.N,
			T: JSONFloat(tt.T), DF: tt.DF, PT: tt.P, PRand: p,
		})
	}
	return c, nil
}

// WriteTable writes c as a table, one line per measure.
func (c *Comparison) WriteTable(w io.Writer) error {
	n := 0
	if len(c.Measures) > 0 {
		n = c.Measures[0].Queries
	}
	fmt.Fprintf(w, "run:     %s\ncompare: %s\n", c.Run, c.Compare)
	fmt.Fprintf(w, "paired t-test and randomization test (%d trials) of run − compare; means over the %d queries both runs have\n\n", c.Trials, n)
	wm := len("measure")
	for _, m := range c.Measures {
		wm = max(wm, len(m.Measure))
	}
	fmt.Fprintf(w, "%-*s  %8s  %8s  %10s  %8s  %10s  %17s\n", wm, "measure", "run", "compare", "difference", "t", "p (t-test)", "p (randomization)")
	for _, m := range c.Measures {
		if _, err := fmt.Fprintf(w, "%-*s  %8.4f  %8.4f  %+10.4f  %8.3f  %10.4g  %17.4g\n", wm, m.Measure, m.Run, m.Compare, m.Difference, float64(m.T), m.PT, m.PRand); err != nil {
			return err
		}
	}
	return nil
}

func perQueryOf(r *Report, m string) map[string]float64 {
	out := make(map[string]float64, len(r.PerQuery))
	for q, v := range r.PerQuery {
		out[q] = v[m]
	}
	return out
}

// SplitMeasures splits a comma-separated list of measure names. As in
// trec_eval's -m, a bare cutoff after a measure in the dot spelling adds
// a cutoff of that measure: "ndcg_cut.5,10,map" is ndcg_cut.5, ndcg_cut.10
// and map.
func SplitMeasures(s string) []string {
	var out []string
	base := ""
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if base != "" && isCutoff(f) {
			out = append(out, base+"."+f)
			continue
		}
		base = ""
		if b, k, ok := strings.Cut(f, "."); ok && isCutoff(k) {
			base = b
		}
		out = append(out, f)
	}
	return out
}

// isCutoff reports whether s is a non-empty string of decimal digits.
func isCutoff(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
