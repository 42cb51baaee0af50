package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/rrra/rrra/retrieval/metrics"
)

const evalSynopsis = `eval (--qrels FILE | --data DIR [--split test]) --run FILE [--measures LIST] [--json] [--per-query] [--complete]
       [--compare FILE [--trials N]]

Scores a TREC run file against qrels (BEIR TSV with its header, or TREC
"qid iter docid rel"), read from --qrels or from the --split of a BEIR
folder or embedded collection (--data cranfield), with trec_eval's
definitions: results sorted by score descending, then document id
descending; a query judged with no relevant document scores 0 and counts,
as in trec_eval; a judged query missing from the run is left out unless
--complete (trec_eval -c). Measures take trec_eval's printed names
(ndcg_cut_10) or its -m spelling (ndcg_cut.10, ndcg_cut.5,10). --json
writes the means under trec_eval's measure names and per-query values
under "per_query". --compare scores a second run and tests the difference
of every measure per query (paired t-test and randomization test) over
the queries both runs have, as a table or, with --json, as JSON.

Examples:

	rrra eval --data cranfield --split test --run dense.trec
	rrra eval --qrels retrieval/datasets/cranfield/qrels/test.tsv --run dense.trec --measures ndcg_cut.10,recall.100
	rrra eval --data cranfield --run dense.trec --compare bm25.trec --measures ndcg_cut_10,recall_100 --json
	rrra eval --qrels qrels.tsv --run dense.trec --json --per-query > dense.json`

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", evalSynopsis, stderr)
	qrelsPath := fs.String("qrels", "", "qrels file (BEIR TSV or TREC qrels)")
	data := fs.String("data", "", "instead of --qrels: a BEIR folder or an embedded collection (cranfield, scifact) whose --split qrels to use")
	split := fs.String("split", "test", "with --data: the qrels split (qrels/SPLIT.tsv)")
	runPath := fs.String("run", "", "TREC run file")
	measures := fs.String("measures", strings.Join(metrics.DefaultMeasures(), ","), "comma-separated trec_eval measure names (ndcg_cut_10 or ndcg_cut.10)")
	asJSON := fs.Bool("json", false, "write JSON instead of a table")
	perQuery := fs.Bool("per-query", false, "table: also print per-query values")
	complete := fs.Bool("complete", false, "count judged queries missing from the run as zeros (trec_eval -c)")
	compare := fs.String("compare", "", "a second run to test against the first, measure by measure")
	trials := fs.Int("trials", 10000, "randomization test trials")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *qrelsPath != "" && *data != "" {
		fmt.Fprintln(stderr, "rrra eval: --qrels and --data exclude each other: the qrels come from one")
		return errUsage
	}
	if (*qrelsPath == "" && *data == "") || *runPath == "" {
		fmt.Fprintln(stderr, "rrra eval: --qrels and --run are required (--data DIR [--split NAME] can stand for --qrels)")
		return errUsage
	}
	if *trials < 1 {
		fmt.Fprintf(stderr, "rrra eval: --trials %d: want at least 1\n", *trials)
		return errUsage
	}
	var qrels metrics.Qrels
	var err error
	if *data != "" {
		qrels, err = splitQrels(*data, *split)
	} else {
		qrels, err = readWith(*qrelsPath, metrics.ReadQrels)
	}
	if err != nil {
		return err
	}
	ms := splitMeasures(*measures)
	opts := metrics.Options{Complete: *complete}
	evalRun := func(path string) (*metrics.Report, error) {
		run, err := readWith(path, metrics.ReadRun)
		if err != nil {
			return nil, err
		}
		rep, err := metrics.Evaluate(qrels, run, ms, opts)
		if errors.Is(err, metrics.ErrNoQueries) {
			return nil, fmt.Errorf("%s: %w (are the run and the qrels of the same queries?)", path, err)
		}
		return rep, err
	}
	rep, err := evalRun(*runPath)
	if err != nil {
		return err
	}
	if *compare == "" {
		if *asJSON {
			return rep.WriteJSON(stdout)
		}
		return rep.WriteTable(stdout, *perQuery)
	}
	other, err := evalRun(*compare)
	if err != nil {
		return err
	}
	c, err := compareReports(rep, other, *runPath, *compare, *trials)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	return c.writeTable(stdout)
}

// splitQrels reads qrels/<split>.tsv of the BEIR folder or embedded
// collection spec.
func splitQrels(spec, split string) (metrics.Qrels, error) {
	fsys, name, err := openData(spec)
	if err != nil {
		return nil, err
	}
	file := path.Join("qrels", split+".tsv")
	f, err := fsys.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		var splits []string
		files, _ := fs.Glob(fsys, "qrels/*.tsv")
		for _, f := range files {
			splits = append(splits, strings.TrimSuffix(path.Base(f), ".tsv"))
		}
		err := fmt.Errorf("--split %q: %s has no qrels/%s.tsv (splits: %v)", split, name, split, splits)
		if s := didYouMean("", closest(split, splits)); s != "" {
			return nil, &hintError{err, s}
		}
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path.Join(name, file), err)
	}
	defer f.Close()
	return metrics.ReadQrels(f, path.Join(name, file))
}

// splitMeasures splits a comma-separated list of measure names. As in
// trec_eval's -m, a bare cutoff after a measure in the dot spelling adds
// a cutoff of that measure: "ndcg_cut.5,10,map" is ndcg_cut.5, ndcg_cut.10
// and map.
func splitMeasures(s string) []string {
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

// comparison is the outcome of eval --compare, as --json writes it.
type comparison struct {
	Run      string              `json:"run"`     // the --run file
	Compare  string              `json:"compare"` // the --compare file
	Trials   int                 `json:"trials"`  // randomization test trials
	Measures []measureComparison `json:"measures"`
}

// measureComparison tests the per-query difference run − compare of one
// measure.
type measureComparison struct {
	Measure    string    `json:"measure"`
	Run        float64   `json:"run"`        // the run's mean over the queries both runs have
	Compare    float64   `json:"compare"`    // the compared run's mean over those queries
	Difference float64   `json:"difference"` // run − compare
	Queries    int       `json:"queries"`    // queries both have
	T          jsonFloat `json:"t"`          // paired t statistic (null when infinite: every difference equal, not 0)
	DF         int       `json:"df"`
	PT         float64   `json:"p_t_test"`        // two-sided p of the paired t-test
	PRand      float64   `json:"p_randomization"` // two-sided p of the randomization test
}

// jsonFloat is a float64 that JSON writes as null when it is not finite.
type jsonFloat float64

// MarshalJSON writes f, or null for ±Inf and NaN, which JSON cannot hold.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// compareReports tests a against b on every measure of a, over the
// queries both have (all the judged ones with --complete). Each measure's
// values are means over those queries, counts (num_rel_ret) included, so
// that the difference is run − compare.
func compareReports(a, b *metrics.Report, aPath, bPath string, trials int) (*comparison, error) {
	c := &comparison{Run: aPath, Compare: bPath, Trials: trials}
	for _, m := range a.Measures {
		x, y := perQueryOf(a, m), perQueryOf(b, m)
		tt, err := metrics.PairedTTest(x, y)
		if err != nil {
			return nil, fmt.Errorf("--compare %s, measure %s: %w", bPath, m, err)
		}
		p, err := metrics.RandomizationTest(x, y, trials, 1)
		if err != nil {
			return nil, fmt.Errorf("--compare %s, measure %s: %w", bPath, m, err)
		}
		var sx, sy float64
		for _, q := range slices.Sorted(maps.Keys(x)) { // a fixed order: the same sums, bit for bit, every run
			if w, ok := y[q]; ok {
				sx, sy = sx+x[q], sy+w
			}
		}
		c.Measures = append(c.Measures, measureComparison{
			Measure: m, Run: sx / float64(tt.N), Compare: sy / float64(tt.N), Difference: tt.MeanDiff, Queries: tt.N,
			T: jsonFloat(tt.T), DF: tt.DF, PT: tt.P, PRand: p,
		})
	}
	return c, nil
}

// writeTable writes c as a table, one line per measure.
func (c *comparison) writeTable(w io.Writer) error {
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
		fmt.Fprintf(w, "%-*s  %8.4f  %8.4f  %+10.4f  %8.3f  %10.4g  %17.4g\n", wm, m.Measure, m.Run, m.Compare, m.Difference, float64(m.T), m.PT, m.PRand)
	}
	return nil
}

func perQueryOf(r *metrics.Report, m string) map[string]float64 {
	out := make(map[string]float64, len(r.PerQuery))
	for q, v := range r.PerQuery {
		out[q] = v[m]
	}
	return out
}

// readWith opens path and parses it with read, which names the file in its
// errors.
func readWith[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	return read(f, path)
}
