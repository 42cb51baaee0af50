package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
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
	ms := metrics.SplitMeasures(*measures)
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
	c, err := metrics.Compare(rep, other, *runPath, *compare, *trials)
	if err != nil {
		return fmt.Errorf("--compare: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	return c.WriteTable(stdout)
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
