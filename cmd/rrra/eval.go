package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rrra/rrra/retrieval/metrics"
)

const evalSynopsis = `eval --qrels FILE --run FILE [--measures LIST] [--json] [--per-query] [--complete]
       [--compare FILE [--trials N]]

Scores a TREC run file against qrels (BEIR TSV with its header, or TREC
"qid iter docid rel") with trec_eval's definitions: results sorted by score
descending, then document id descending; a query judged with no relevant
document scores 0 and counts, as in trec_eval; a judged query missing from
the run is left out unless --complete (trec_eval -c). --json writes the
means under trec_eval's measure names and per-query values under
"per_query". --compare scores a second run and tests the difference of
the first measure per query (paired t-test and randomization test).

Examples:

	rrra eval --qrels retrieval/datasets/cranfield/qrels/test.tsv --run dense.trec
	rrra eval --qrels qrels.tsv --run dense.trec --compare bm25.trec --measures ndcg_cut_10,recall_100
	rrra eval --qrels qrels.tsv --run dense.trec --json --per-query > dense.json`

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", evalSynopsis, stderr)
	qrelsPath := fs.String("qrels", "", "qrels file")
	runPath := fs.String("run", "", "TREC run file")
	measures := fs.String("measures", strings.Join(metrics.DefaultMeasures(), ","), "comma-separated trec_eval measure names")
	asJSON := fs.Bool("json", false, "write JSON instead of a table")
	perQuery := fs.Bool("per-query", false, "table: also print per-query values")
	complete := fs.Bool("complete", false, "count judged queries missing from the run as zeros (trec_eval -c)")
	compare := fs.String("compare", "", "a second run to test against the first")
	trials := fs.Int("trials", 10000, "randomization test trials")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *qrelsPath == "" || *runPath == "" {
		fmt.Fprintln(stderr, "rrra eval: --qrels and --run are required")
		return errUsage
	}
	qrels, err := readWith(*qrelsPath, metrics.ReadQrels)
	if err != nil {
		return err
	}
	ms := strings.Split(*measures, ",")
	opts := metrics.Options{Complete: *complete}
	evalRun := func(path string) (*metrics.Report, error) {
		run, err := readWith(path, metrics.ReadRun)
		if err != nil {
			return nil, err
		}
		return metrics.Evaluate(qrels, run, ms, opts)
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
	m := rep.Measures[0]
	a, b := perQueryOf(rep, m), perQueryOf(other, m)
	tt, err := metrics.PairedTTest(a, b)
	if err != nil {
		return err
	}
	p, err := metrics.RandomizationTest(a, b, *trials, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s %.4f, %s %.4f, difference %+.4f over %d queries\n",
		m, *runPath, rep.Mean[m], *compare, other.Mean[m], tt.MeanDiff, tt.N)
	fmt.Fprintf(stdout, "paired t-test: t = %.3f, df = %d, p = %.4g; randomization test (%d trials): p = %.4g\n",
		tt.T, tt.DF, tt.P, *trials, p)
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
