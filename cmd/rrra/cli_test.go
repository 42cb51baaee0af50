package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/retrieval/metrics"
)

// cli runs rrra with args and returns its exit code, stdout and stderr.
func cli(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// bm25Runs writes two BM25 runs of Cranfield's test queries, the top 100
// and the top 10, and returns their paths.
func bm25Runs(t *testing.T) (top100, top10 string) {
	t.Helper()
	dir := t.TempDir()
	top100, top10 = filepath.Join(dir, "bm25.trec"), filepath.Join(dir, "bm25-10.trec")
	for _, r := range []struct {
		path, k string
	}{{top100, "100"}, {top10, "10"}} {
		if code, _, stderr := cli("search", "--data", "cranfield", "--method", "bm25", "--k", r.k, "--out", r.path, "--quiet"); code != 0 {
			t.Fatalf("search --k %s: exit %d\n%s", r.k, code, stderr)
		}
	}
	return top100, top10
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, stdout, stderr := cli(args...)
		if code != 0 || stderr != "" {
			t.Fatalf("rrra %v: exit %d, stderr %q", args, code, stderr)
		}
		want := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
		if !strings.HasPrefix(stdout, "rrra ") || !strings.Contains(stdout, want) || !strings.Contains(stdout, "revision ") ||
			strings.Count(stdout, "\n") != 1 {
			t.Errorf("rrra %v = %q: want one line with the version, the revision and %s", args, stdout, want)
		}
	}
	code, stdout, _ := cli("version", "--json")
	var b buildInfo
	if err := json.Unmarshal([]byte(stdout), &b); code != 0 || err != nil || b.Version == "" || b.GoVersion != runtime.Version() || b.GOOS != runtime.GOOS {
		t.Errorf("version --json: exit %d, %v: %s", code, err, stdout)
	}

	// info repeats the line, and its JSON holds the same build.
	_, stdout, _ = cli("info")
	if !strings.Contains(stdout, "version:    "+readBuildInfo().String()+"\n") {
		t.Errorf("info lacks the version line:\n%s", stdout)
	}
	_, stdout, _ = cli("info", "--json")
	var r infoReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Build != readBuildInfo() {
		t.Errorf("info --json build = %+v, %v; want %+v", r.Build, err, readBuildInfo())
	}
}

func TestBuildInfoString(t *testing.T) {
	for _, c := range []struct {
		b    buildInfo
		want string
	}{
		{buildInfo{Version: "(devel)", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"},
			"rrra (devel), revision unknown, go1.26.8 linux/amd64"},
		{buildInfo{Version: "v0.3.0", Revision: "0b68906a2ffd0123456789abcdef0123456789ab", Time: "2026-11-26T17:00:58Z",
			GoVersion: "go1.26.8", GOOS: "darwin", GOARCH: "arm64", CGO: "0"},
			"rrra v0.3.0, revision 0b68906a2ffd (2026-11-26T17:00:58Z), go1.26.8 darwin/arm64"},
		{buildInfo{Version: "(devel)", Revision: "0b68906", Modified: true, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CGO: "1"},
			"rrra (devel), revision 0b68906+dirty, go1.26.8 linux/amd64, cgo"},
	} {
		if got := c.b.String(); got != c.want {
			t.Errorf("%+v:\n got %q\nwant %q", c.b, got, c.want)
		}
	}
}

// TestHints checks that a mistyped flag, command or collection gets the
// error and one line of advice (a "did you mean" only when a name is
// close), not the usage; and that -h still prints the usage.
func TestHints(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run.trec")
	for _, c := range []struct {
		name    string
		args    []string
		code    int
		lines   []string // stderr's last lines, in order
		without string   // stderr must not contain it
	}{
		{"flag close", []string{"search", "-methd", "bm25"}, 2, []string{
			"rrra search: flag provided but not defined: -methd",
			"did you mean --method? (rrra search -h lists the flags)"}, "Usage"},
		{"flag transposed", []string{"search", "--rerank-tua", "1"}, 2, []string{
			"rrra search: flag provided but not defined: -rerank-tua",
			"did you mean --rerank-tau? (rrra search -h lists the flags)"}, "Usage"},
		{"flag far", []string{"eval", "--zzzz"}, 2, []string{
			"rrra eval: flag provided but not defined: -zzzz",
			"rrra eval -h lists the flags"}, "did you mean"},
		{"flag bad value", []string{"search", "--k", "ten"}, 2, []string{
			`rrra search: invalid value "ten" for flag -k: parse error`,
			"rrra search -h lists the flags"}, "Usage"},
		{"stray argument", []string{"info", "extra"}, 2, []string{
			`rrra info: unexpected arguments ["extra"]`,
			"every argument is a flag, as --name value (rrra info -h lists them)"}, "Usage"},
		{"command close", []string{"serch", "--method", "bm25"}, 2, []string{
			`rrra: unknown command "serch"`,
			"did you mean search? (rrra help lists the commands)"}, "Commands:"},
		{"command far", []string{"frobnicate"}, 2, []string{
			`rrra: unknown command "frobnicate"`,
			"rrra help lists the commands"}, "did you mean"},
		{"collection close", []string{"search", "--data", "cranfeld", "--out", out}, 1, []string{
			"rrra search: beir: cranfeld is neither a directory nor an embedded collection [cranfield scifact]",
			"did you mean cranfield?"}, "Usage"},
		{"collection close, eval", []string{"eval", "--data", "scifcat", "--run", out}, 1, []string{
			"did you mean scifact?"}, "Usage"},
		{"collection far", []string{"search", "--data", filepath.Join(dir, "missing"), "--out", out}, 1, []string{
			"is neither a directory nor an embedded collection"}, "did you mean"},
		{"split close, search", []string{"search", "--split", "tets", "--out", out}, 1, []string{
			`rrra search: beir: embedded:cranfield has no split "tets" (have [test train])`,
			"did you mean test?"}, "Usage"},
		{"split close", []string{"eval", "--data", "cranfield", "--split", "tset", "--run", out}, 1, []string{
			`rrra eval: --split "tset": embedded:cranfield has no qrels/tset.tsv (splits: [test train])`,
			"did you mean test?"}, "Usage"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cli(c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) < len(c.lines) {
				t.Fatalf("stderr:\n%s\nwant last lines:\n%s", stderr, strings.Join(c.lines, "\n"))
			}
			for i, want := range c.lines {
				if got := lines[len(lines)-len(c.lines)+i]; !strings.Contains(got, want) {
					t.Errorf("stderr:\n%s\nline %q lacks %q", stderr, got, want)
				}
			}
			if c.code == 2 && len(lines) != 2 {
				t.Errorf("a usage error takes the error and one hint line; got %d lines:\n%s", len(lines), stderr)
			}
			if strings.Contains(stderr, c.without) {
				t.Errorf("stderr contains %q:\n%s", c.without, stderr)
			}
		})
	}

	// -h (and help CMD) still print the whole usage, with exit code 0.
	for _, args := range [][]string{{"search", "-h"}, {"search", "--help"}, {"help", "search"}} {
		code, _, stderr := cli(args...)
		if code != 0 || !strings.Contains(stderr, "Usage: rrra search") || !strings.Contains(stderr, "  -method") || strings.Contains(stderr, "did you mean") {
			t.Errorf("rrra %v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	// --quiet holds logs back, not the hint.
	if code, _, stderr := cli("search", "--quiet", "-methd", "bm25"); code != 2 || !strings.Contains(stderr, "did you mean --method?") {
		t.Errorf("quiet: exit %d, stderr %q", code, stderr)
	}
}

func TestClosest(t *testing.T) {
	names := []string{"method", "model", "split", "k", "rerank-k", "rerank-tau", "query-len", "data"}
	for _, c := range []struct {
		typed string
		want  []string
	}{
		{"methd", []string{"method"}},
		{"METHOD", []string{"method"}},
		{"modle", []string{"model"}}, // a transposition is one edit
		{"query_len", []string{"query-len"}},
		{"spilt", []string{"split"}},
		{"rerank-x", []string{"rerank-k"}},
		{"x", nil},  // one letter is close to no other
		{"kk", nil}, // a distance as long as the shorter name
		{"dta", []string{"data"}},
		{"zzzzzz", nil},
		{"", nil},
	} {
		if got := closest(c.typed, names); !slices.Equal(got, c.want) {
			t.Errorf("closest(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1},
		{"cranfeld", "cranfield", 1}, {"serch", "search", 1}, {"ca", "abc", 3}, {"é", "e", 1},
	} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	if got := didYouMean("--", []string{"rerank-k", "rerank-tau"}); got != "did you mean --rerank-k or --rerank-tau?" {
		t.Errorf("didYouMean = %q", got)
	}
}

// TestEvalEmbedded checks eval --data: the embedded collection's qrels give
// what the same qrels file gives.
func TestEvalEmbedded(t *testing.T) {
	run100, _ := bm25Runs(t)
	code, fromData, stderr := cli("eval", "--data", "cranfield", "--split", "test", "--run", run100)
	if code != 0 {
		t.Fatalf("eval --data: exit %d\n%s", code, stderr)
	}
	_, fromFile, _ := cli("eval", "--qrels", "../../retrieval/datasets/cranfield/qrels/test.tsv", "--run", run100)
	if fromData != fromFile || !strings.Contains(fromData, "num_q                 \tall\t90\n") {
		t.Errorf("eval --data cranfield:\n%s\neval --qrels FILE:\n%s", fromData, fromFile)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--run", run100}, "--qrels and --run are required (--data DIR [--split NAME] can stand for --qrels)"},
		{[]string{"eval", "--data", "cranfield"}, "--qrels and --run are required"},
		{[]string{"eval", "--data", "cranfield", "--qrels", "x.tsv", "--run", run100}, "--qrels and --data exclude each other"},
	} {
		if code, _, stderr := cli(c.args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("rrra %v: exit %d, stderr %q; want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestEvalMeasureSpelling checks trec_eval's -m spelling (ndcg_cut.10,
// and ndcg_cut.5,10 for two cutoffs): the same values under the printed
// names.
func TestEvalMeasureSpelling(t *testing.T) {
	run100, _ := bm25Runs(t)
	_, dotted, stderr := cli("eval", "--data", "cranfield", "--run", run100, "--measures", "ndcg_cut.5,10,P.10,recall_100,ndcg_cut_10")
	_, plain, _ := cli("eval", "--data", "cranfield", "--run", run100, "--measures", "ndcg_cut_5,ndcg_cut_10,P_10,recall_100")
	if dotted == "" || dotted != plain {
		t.Errorf("dotted names:\n%s%s\nprinted names:\n%s", dotted, stderr, plain)
	}
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"ndcg_cut.5,10,map", []string{"ndcg_cut.5", "ndcg_cut.10", "map"}},
		{"map, P_10 ,,recall.100,1000", []string{"map", "P_10", "recall.100", "recall.1000"}},
		{"map,10", []string{"map", "10"}}, // a bare cutoff after a plain name stays bad
		{"", nil},
	} {
		if got := metrics.SplitMeasures(c.in); !slices.Equal(got, c.want) {
			t.Errorf("SplitMeasures(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if code, _, stderr := cli("eval", "--data", "cranfield", "--run", run100, "--measures", "ndcg_cut.x"); code != 1 || !strings.Contains(stderr, `unknown measure "ndcg_cut.x"`) {
		t.Errorf("bad measure: exit %d, stderr %q", code, stderr)
	}
}

// TestEvalCompare checks that --compare tests every measure asked for, as
// a table and as JSON.
func TestEvalCompare(t *testing.T) {
	run100, run10 := bm25Runs(t)
	args := []string{"eval", "--data", "cranfield", "--run", run100, "--compare", run10, "--measures", "ndcg_cut.10,recall_100,map", "--trials", "500"}
	code, stdout, stderr := cli(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var c metrics.Comparison
	if err := json.Unmarshal([]byte(stdout), &c); err != nil {
		t.Fatalf("--compare --json is not JSON: %v\n%s", err, stdout)
	}
	if c.Run != run100 || c.Compare != run10 || c.Trials != 500 || len(c.Measures) != 3 {
		t.Fatalf("comparison = %+v", c)
	}
	var names []string
	for _, m := range c.Measures {
		names = append(names, m.Measure)
		if m.Queries != 90 || m.DF != 89 || abs(m.Difference-(m.Run-m.Compare)) > 1e-12 {
			t.Errorf("%s: %+v", m.Measure, m)
		}
	}
	if !slices.Equal(names, []string{"ndcg_cut_10", "recall_100", "map"}) {
		t.Errorf("measures %v", names)
	}
	// The top 10 of a run of 100 is the same top 10: nDCG@10 equal, recall@100 lower.
	if m := c.Measures[0]; m.Difference != 0 || m.PT != 1 || m.PRand != 1 {
		t.Errorf("ndcg_cut_10 of a run and its top 10: %+v", m)
	}
	if m := c.Measures[1]; m.Difference <= 0.2 || m.PT > 1e-6 || m.PRand > 0.01 {
		t.Errorf("recall_100 of a run and its top 10: %+v", m)
	}

	code, stdout, stderr = cli(args...)
	if code != 0 || !strings.Contains(stdout, "paired t-test") || !strings.Contains(stdout, "randomization test (500 trials)") {
		t.Fatalf("table: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range names {
		if !strings.Contains(stdout, "\n"+name+" ") {
			t.Errorf("table lacks a line for %s:\n%s", name, stdout)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestSearchAdHoc checks --query and --topics: the corpus of --data, the
// queries given, a run on stdout (or --out), no evaluation; and that bad
// topics name file and line.
func TestSearchAdHoc(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code, stdout, stderr := cli("search", "--data", "cranfield", "--method", "bm25", "--k", "3",
		"--query", "boundary layer transition", "--query", "heat transfer at hypersonic speed")
	if code != 0 || strings.Contains(stderr, "nDCG") {
		t.Fatalf("--query: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "q1 Q0 ") || !strings.HasPrefix(lines[3], "q2 Q0 ") || !strings.HasSuffix(lines[0], " bm25") {
		t.Fatalf("--query run:\n%s", stdout)
	}

	// Dense retrieval (fused with BM25) takes ad-hoc queries the same way.
	code, hybrid, stderr := cli("search", "--method", "hybrid", "--model", tinyModel, "--doc-len", "32", "--k", "3",
		"--query", "boundary layer transition", "--query", "heat transfer at hypersonic speed", "--quiet")
	if hl := strings.Split(strings.TrimSpace(hybrid), "\n"); code != 0 || len(hl) != 6 || !strings.HasPrefix(hl[5], "q2 Q0 ") || !strings.HasSuffix(hl[5], " hybrid") {
		t.Errorf("--method hybrid --query: exit %d\n%s%s", code, hybrid, stderr)
	}

	// The same queries from a TSV and a JSONL file, with ids of their own.
	tsv := write("topics.tsv", "t1\tboundary layer transition\n\nt2\theat transfer at hypersonic speed\r\n")
	jsonl := write("topics.jsonl", `{"_id": "t1", "text": "boundary layer transition"}`+"\n"+`{"_id": "t2", "text": "heat transfer at hypersonic speed"}`+"\n")
	want := strings.NewReplacer("q1 ", "t1 ", "q2 ", "t2 ").Replace(stdout)
	for _, p := range []string{tsv, jsonl} {
		if code, got, stderr := cli("search", "--topics", p, "--k", "3", "--quiet"); code != 0 || got != want {
			t.Errorf("--topics %s: exit %d\n%s\nwant\n%s%s", filepath.Base(p), code, got, want, stderr)
		}
	}

	// --out and --json: the summary says where the queries came from.
	out := filepath.Join(dir, "adhoc.trec")
	code, stdout, stderr = cli("search", "--topics", tsv, "--k", "3", "--out", out, "--json", "--quiet")
	var summary map[string]any
	if err := json.Unmarshal([]byte(stdout), &summary); code != 0 || err != nil || summary["queries_from"] != tsv || summary["queries"] != 2.0 || summary["ndcg_cut_10"] != nil {
		t.Errorf("--json: exit %d, %v: %s%s", code, err, stdout, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, []byte(want)) {
		t.Errorf("--out %s: %v\n%s", out, err, b)
	}

	for _, c := range []struct {
		name, text, want string
	}{
		{"notab.tsv", "t1\tfine\nt2 no tab\n", "notab.tsv:2: want qid<TAB>text, found no tab"},
		{"noid.tsv", "\n\t text\n", "noid.tsv:2: field qid: empty"},
		{"notext.tsv", "t1\t \n", `notext.tsv:1: field text: empty (query "t1")`},
		{"dup.tsv", "t1\ta\nt2\tb\nt1\tc\n", `dup.tsv:3: field qid: "t1" already on line 1`},
		{"empty.tsv", "\n\n", "empty.tsv: no queries"},
		{"bad.jsonl", `{"_id": "t1", "text": "a"}` + "\n" + `{"_id": "t2"}` + "\n", "bad.jsonl:2: "},
	} {
		p := write(c.name, c.text)
		if code, _, stderr := cli("search", "--topics", p); code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("--topics %s: exit %d, stderr %q; want %q", c.name, code, stderr, c.want)
		}
	}
	if code, _, stderr := cli("search", "--topics", filepath.Join(dir, "missing.tsv")); code != 1 || !strings.Contains(stderr, "missing.tsv") {
		t.Errorf("missing topics: exit %d, stderr %q", code, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--query", "a", "--topics", tsv}, "--query and --topics exclude each other"},
		{[]string{"--query", "a", "--split", "train"}, "--split chooses the collection's queries"},
		{[]string{"--query", " "}, "--query number 1 is empty"},
		{[]string{"--query", "a", "--json"}, "--json writes its summary on stdout"},
	} {
		if code, _, stderr := cli(append([]string{"search"}, c.args...)...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("search %v: exit %d, stderr %q; want %q", c.args, code, stderr, c.want)
		}
	}
}
