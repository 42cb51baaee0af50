package metrics

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The files under testdata/trec_eval were written by
// testdata/gen_trec_eval.py: seeded random qrels and runs, and the numbers
// trec_eval 9.0.8 printed for them.

// expected holds trec_eval's numbers from one .tsv file: measure → query id
// ("all" for the summary) → value, and the measures in order of appearance.
type expected struct {
	values   map[string]map[string]float64
	measures []string
}

func readExpected(t *testing.T, path string) expected {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := expected{values: make(map[string]map[string]float64)}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			t.Fatalf("%s:%d: want 3 columns, got %q", path, n, line)
		}
		v, err := strconv.ParseFloat(cols[2], 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		m := cols[0]
		if e.values[m] == nil {
			e.values[m] = make(map[string]float64)
			e.measures = append(e.measures, m)
		}
		e.values[m][cols[1]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return e
}

func readTestQrels(t *testing.T, path string) Qrels {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	q, err := ReadQrels(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func readTestRun(t *testing.T, path string) Run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadRun(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQrelsFormatsAgree(t *testing.T) {
	dir := filepath.Join("testdata", "trec_eval")
	trec := readTestQrels(t, filepath.Join(dir, "qrels.txt"))
	beir := readTestQrels(t, filepath.Join(dir, "qrels.tsv"))
	if !reflect.DeepEqual(trec, beir) {
		t.Error("qrels.txt (TREC) and qrels.tsv (BEIR) read differently")
	}
	if len(trec) != 30 {
		t.Errorf("qrels.txt: %d queries, want 30", len(trec))
	}
}

func TestAgainstTrecEval(t *testing.T) {
	dir := filepath.Join("testdata", "trec_eval")
	qrels := readTestQrels(t, filepath.Join(dir, "qrels.txt"))
	for _, name := range []string{"a", "b", "c"} {
		run := readTestRun(t, filepath.Join(dir, "run_"+name+".txt"))
		perQuery := readExpected(t, filepath.Join(dir, "run_"+name+".tsv"))
		complete := readExpected(t, filepath.Join(dir, "run_"+name+".c.tsv"))
		var measures []string
		for _, m := range perQuery.measures {
			if m != "num_q" {
				measures = append(measures, m)
			}
		}
		if len(measures) < 40 {
			t.Fatalf("run_%s.tsv: only %d measures", name, len(measures))
		}
		for _, c := range []bool{false, true} {
			rep, err := Evaluate(qrels, run, measures, Options{Complete: c})
			if err != nil {
				t.Fatalf("run_%s, Complete %v: %v", name, c, err)
			}
			want := perQuery
			if c {
				want = complete
			}
			if got, w := rep.NumQueries, int(want.values["num_q"]["all"]); got != w {
				t.Errorf("run_%s, Complete %v: NumQueries %d, trec_eval num_q %d", name, c, got, w)
			}
			checked := 0
			for _, m := range measures {
				for qid, w := range perQuery.values[m] {
					if qid == "all" {
						continue
					}
					vals, ok := rep.PerQuery[qid]
					if !ok {
						t.Errorf("run_%s, Complete %v: query %s missing", name, c, qid)
						continue
					}
					checkValue(t, name, c, m, qid, vals[m], w)
					checked++
				}
				w, ok := want.values[m]["all"]
				if !ok {
					t.Fatalf("run_%s, Complete %v: no summary for %s", name, c, m)
				}
				checkValue(t, name, c, m, "all", rep.Mean[m], w)
				checked++
			}
			// The queries evaluated: those trec_eval printed, plus, with
			// Complete, the qrels queries absent from the run, at zero.
			for qid, vals := range rep.PerQuery {
				if _, ok := perQuery.values["map"][qid]; ok {
					continue
				}
				if !c || len(run[qid]) > 0 {
					t.Errorf("run_%s, Complete %v: query %s evaluated, trec_eval did not", name, c, qid)
					continue
				}
				for m, v := range vals {
					want := 0.0
					if m == "num_rel" {
						want = float64(countRel(relevantLevels(qrels[qid])))
					}
					if v != want {
						t.Errorf("run_%s: query %s absent from the run: %s = %v, want %v", name, qid, m, v, want)
					}
				}
			}
			if checked < 1000 {
				t.Errorf("run_%s, Complete %v: only %d values checked", name, c, checked)
			}
		}
	}
}

func relevantLevels(judged map[string]int) []int {
	var g []int
	for _, rel := range judged {
		g = append(g, rel)
	}
	return g
}

func checkValue(t *testing.T, run string, complete bool, measure, qid string, got, want float64) {
	t.Helper()
	tol := 1e-4 // trec_eval prints 4 decimals
	if m, err := parseMeasure(measure); err == nil && m.summed() {
		tol = 0 // counts are printed in full
	}
	if math.Abs(got-want) > tol {
		t.Errorf("run_%s, Complete %v: %s %s = %.6f, trec_eval %.4f", run, complete, measure, qid, got, want)
	}
}

// TestMRRCutAgainstTrecEval checks mrr_cut_K, which trec_eval lacks, against
// its recip_rank: the two agree when the first relevant document is in the
// top K, and mrr_cut_K is 0 otherwise.
func TestMRRCutAgainstTrecEval(t *testing.T) {
	dir := filepath.Join("testdata", "trec_eval")
	qrels := readTestQrels(t, filepath.Join(dir, "qrels.txt"))
	cuts := []int{1, 2, 3, 5, 10, 20}
	var measures []string
	for _, k := range cuts {
		measures = append(measures, "mrr_cut_"+strconv.Itoa(k))
	}
	for _, name := range []string{"a", "b", "c"} {
		run := readTestRun(t, filepath.Join(dir, "run_"+name+".txt"))
		rr := readExpected(t, filepath.Join(dir, "run_"+name+".tsv")).values["recip_rank"]
		rep, err := Evaluate(qrels, run, measures, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for qid, r := range rr {
			if qid == "all" {
				continue
			}
			for _, k := range cuts {
				want := 0.0
				if r > 0 && 1/r <= float64(k)+0.5 { // rank ≤ k; ranks ≤ 20 are exact at 4 decimals
					want = r
				}
				m := "mrr_cut_" + strconv.Itoa(k)
				if got := rep.PerQuery[qid][m]; math.Abs(got-want) > 1e-4 {
					t.Errorf("run_%s: query %s: %s = %.4f, want %.4f (recip_rank %.4f)", name, qid, m, got, want, r)
				}
			}
		}
	}
}
