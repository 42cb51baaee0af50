package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rrra/rrra/adapter/experiment"
	libserver "github.com/rrra/rrra/adapter/server"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// rrra runs the CLI in-process and fails the test on a non-zero exit.
func rrra(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("rrra %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), errb.String()
}

// TestPipeline takes the embedded Cranfield collection through the whole
// command line: mine, train (from scratch, on the mined file), index,
// search with each method, and eval, checking each step's output.
func TestPipeline(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("trains and searches on Cranfield through the CLI: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	_, errs := rrra(t, "mine", "--data", "cranfield", "--sampler", "bm25", "--negatives", "3", "--out", p("train.jsonl"))
	if !strings.Contains(errs, "wrote "+p("train.jsonl")+": 135 queries") || !strings.Contains(errs, "chosen negatives") {
		t.Errorf("mine log:\n%s", errs)
	}
	_, errs = rrra(t, "train", "--data", "cranfield", "--train-file", p("train.jsonl"), "--out", p("model"),
		"--config", "mini", "--vocab-size", "1000", "--steps", "30", "--batch", "8", "--negatives", "2", "--doc-len", "48",
		"--lr", "2e-3", "--checkpoint", p("ckpt"), "--history", p("history.json"), "--eval-every", "10", "--log-every", "10",
		"--plot", p("curve.png"))
	if !strings.Contains(errs, "examples are dev queries and are left out") || !strings.Contains(errs, "eval at step 30") {
		t.Errorf("train log:\n%s", errs)
	}
	var hist []map[string]any
	if b, err := os.ReadFile(p("history.json")); err != nil || json.Unmarshal(b, &hist) != nil || len(hist) != 3 {
		t.Fatalf("history (want 3 records, steps 10, 20, 30): %v %s", err, b)
	}
	for _, f := range []string{"curve.png", "curve-dev.png"} {
		if _, err := png.Decode(bytes.NewReader(readFile(t, p(f)))); err != nil {
			t.Errorf("--plot: %s: %v", f, err)
		}
	}
	for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "rrra_biencoder.json"} {
		if _, err := os.Stat(p("model/" + f)); err != nil {
			t.Error(err)
		}
	}
	rrra(t, "index", "--data", "cranfield", "--model", p("model"), "--out", p("index"), "--doc-len", "48", "--npy", p("docs.npy"))
	// Vectors made elsewhere (here: the .npy just written) index the same.
	rrra(t, "index", "--data", "cranfield", "--vectors", p("docs.npy"), "--out", p("index2"))
	// The same vectors and ids; the metadata says where each came from.
	ia, err := index.Load(p("index"), index.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ia.Close()
	ib, err := index.Load(p("index2"), index.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ib.Close()
	ma, mb := ia.Meta(), ib.Meta()
	if ia.Len() != ib.Len() || !slices.Equal(ia.Vectors(), ib.Vectors()) || ma[retrieval.MetaCorpus] == "" || ma[retrieval.MetaCorpus] != mb[retrieval.MetaCorpus] ||
		ma[retrieval.MetaModel] == "" || mb[retrieval.MetaModel] != "" || mb[retrieval.MetaVectors] != "docs.npy" {
		t.Errorf("the index built from the exported .npy differs from the original: metadata %v and %v", ma, mb)
	}
	for i := 0; i < ia.Len(); i++ {
		if ia.ID(i) != ib.ID(i) {
			t.Fatalf("document %d: %q and %q", i, ia.ID(i), ib.ID(i))
		}
	}
	// search --json: a summary on stdout; BM25's figures are Cranfield's.
	var sum struct {
		Method  string  `json:"method"`
		Queries int     `json:"queries"`
		NDCG    float64 `json:"ndcg_cut_10"`
	}
	stdout, _ := rrra(t, "search", "--data", "cranfield", "--method", "bm25", "--out", p("j.trec"), "--json", "--quiet")
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Method != "bm25" || sum.Queries != 90 || math.Abs(sum.NDCG-0.3306) > 5e-5 {
		t.Errorf("search --json: %v %+v\n%s", err, sum, stdout)
	}
	for _, m := range []string{"bm25", "dense", "hybrid"} {
		args := []string{"search", "--data", "cranfield", "--split", "test", "--method", m, "--out", p(m + ".trec"), "--k", "50"}
		if m != "bm25" {
			args = append(args, "--model", p("model"), "--doc-len", "48")
		}
		if m == "dense" {
			args = append(args, "--index", p("index"))
		}
		_, errs := rrra(t, args...)
		if !strings.Contains(errs, m+" test: nDCG@10") {
			t.Errorf("search %s log:\n%s", m, errs)
		}
		b, err := os.ReadFile(p(m + ".trec"))
		if err != nil || strings.Count(string(b), "\n") != 90*50 {
			t.Errorf("%s run: %v, %d lines, want 90 queries × 50", m, err, strings.Count(string(b), "\n"))
		}
	}
	// The dense run from the saved index equals one encoded on the fly.
	rrra(t, "search", "--data", "cranfield", "--method", "dense", "--model", p("model"), "--doc-len", "48", "--k", "50", "--out", p("dense2.trec"))
	a, _ := os.ReadFile(p("dense.trec"))
	b, _ := os.ReadFile(p("dense2.trec"))
	if !bytes.Equal(a, b) {
		t.Error("searching the saved index and the freshly encoded corpus gave different runs")
	}
	out, _ := rrra(t, "eval", "--qrels", "../../retrieval/datasets/cranfield/qrels/test.tsv", "--run", p("bm25.trec"), "--json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep["ndcg_cut_10"] == nil || rep["per_query"] == nil {
		t.Errorf("eval --json: %v\n%s", err, out)
	}
	out, _ = rrra(t, "eval", "--qrels", "../../retrieval/datasets/cranfield/qrels/test.tsv", "--run", p("bm25.trec"), "--compare", p("dense.trec"))
	if !strings.Contains(out, "paired t-test") || !strings.Contains(out, "randomization test") {
		t.Errorf("eval --compare:\n%s", out)
	}
}

func TestPipelineErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.MkdirAll(filepath.Join(bad, "qrels"), 0o755)
	os.WriteFile(filepath.Join(bad, "corpus.jsonl"), []byte("{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": 2, \"text\": \"b\"}\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "queries.jsonl"), []byte("{\"_id\": \"q1\", \"text\": \"a\"}\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search", "--data", bad, "--out", filepath.Join(dir, "r")}, 1, `corpus.jsonl:2: field "_id": want a string, have number`},
		{[]string{"search", "--data", "nowhere", "--out", "x"}, 1, "neither a directory nor an embedded collection"},
		{[]string{"search", "--data", "cranfield"}, 2, "--out are required"},
		{[]string{"search", "--data", "cranfield", "--method", "dense", "--out", "x"}, 2, "need --model"},
		{[]string{"search", "--data", "cranfield", "--method", "splade", "--out", "x"}, 2, "want bm25, dense or hybrid"},
		{[]string{"train", "--data", "cranfield", "--out", "x", "--sampler", "nope"}, 1, "unknown sampler"},
		{[]string{"search", "--data", "cranfield", "--split", "dev", "--out", "x"}, 1, `no split "dev"`},
		{[]string{"eval", "--run", "x"}, 2, "--qrels and --run are required"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("rrra %v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRRRAPipeline trains briefly with the RRRA sampler, checks the run log
// shows the adapter fitted at each refresh and the adapter file saved, and
// that reranking with λ = 0 gives back exactly the plain dense run.
func TestRRRAPipeline(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("trains RRRA on Cranfield through the CLI: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	_, errs := rrra(t, "train", "--data", "cranfield", "--out", p("model"), "--config", "mini", "--vocab-size", "800",
		"--steps", "10", "--batch", "8", "--negatives", "2", "--doc-len", "32", "--refresh", "5",
		"--sampler", "rrra", "--sampler-params", "epochs=2,gamma=2,rho=0.5,k_lab=50")
	if strings.Count(errs, "rrra: s_FN cached") != 2 || !strings.Contains(errs, "sampler rrra adapter=A lambda_ad=0 base=softmax pa_margin=0.05 k=100 tau_hn=1 a=0.5 b=0 gamma=2 rho=0.5") {
		t.Errorf("train log:\n%s", errs)
	}
	if _, err := os.Stat(p("model/rrra_adapter.safetensors")); err != nil {
		t.Fatal(err)
	}
	common := []string{"search", "--data", "cranfield", "--method", "dense", "--model", p("model"), "--doc-len", "32", "--k", "100"}
	rrra(t, append(common, "--out", p("plain.trec"))...)
	rrra(t, append(common, "--out", p("rerank0.trec"), "--rerank", "0")...)
	_, errs = rrra(t, append(common, "--out", p("rerank1.trec"), "--rerank", "1", "--rerank-k", "50")...)
	if !bytes.Equal(readFile(t, p("plain.trec")), readFile(t, p("rerank0.trec"))) {
		t.Error("--rerank 0 changed the run")
	}
	if !strings.Contains(errs, "reranked the top 50 with λ 1") || strings.Count(string(readFile(t, p("rerank1.trec"))), "\n") != 90*50 {
		t.Errorf("rerank λ 1:\n%s", errs)
	}
	// Adapter B with the lexical feature and the stage-3 term: trained,
	// saved and reranking through the CLI.
	_, errs = rrra(t, "train", "--data", "cranfield", "--out", p("modelB"), "--config", "mini", "--vocab-size", "800",
		"--steps", "6", "--batch", "8", "--negatives", "2", "--doc-len", "32", "--refresh", "3",
		"--sampler", "rrra", "--sampler-params", "epochs=2,k_lab=50,adapter=B,lex_feature=1")
	if strings.Count(errs, "rrra: s_FN cached") != 2 || !strings.Contains(errs, "adapter=B") || !strings.Contains(errs, "lex_feature=1") {
		t.Errorf("adapter B train log:\n%s", errs)
	}
	_, errs = rrra(t, "search", "--data", "cranfield", "--method", "dense", "--model", p("modelB"), "--doc-len", "32", "--k", "100",
		"--out", p("rerankB.trec"), "--rerank", "1", "--rerank-k", "50")
	if !strings.Contains(errs, "adapter B: encoded") || strings.Count(string(readFile(t, p("rerankB.trec"))), "\n") != 90*50 {
		t.Errorf("rerank with adapter B:\n%s", errs)
	}
	_, errs = rrra(t, "train", "--data", "cranfield", "--out", p("modelJ"), "--config", "mini", "--vocab-size", "800",
		"--steps", "6", "--batch", "8", "--negatives", "2", "--doc-len", "32", "--refresh", "3",
		"--sampler", "rrra", "--sampler-params", "epochs=2,k_lab=50,lambda_ad=0.5")
	if !strings.Contains(errs, "lambda_ad=0.5") {
		t.Errorf("stage-3 train log:\n%s", errs)
	}
	// The audit: every mined negative of every training query, best
	// suspects first, in three formats.
	stdout, _ := rrra(t, "audit", "--data", "cranfield", "--model", p("model"), "--doc-len", "32", "--k", "20",
		"--rrra-params", "epochs=2", "--out", p("audit.jsonl"), "--tsv", p("audit.tsv"), "--html", p("audit.html"), "--top", "5")
	if strings.Count(stdout, "\n") != 5 || !strings.Contains(stdout, "s_FN") {
		t.Errorf("audit stdout:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(string(readFile(t, p("audit.jsonl")))), "\n")
	if len(lines) != 135*20 {
		t.Errorf("audit: %d rows, want 135 queries × 20", len(lines))
	}
	// --json: the same top rows as the JSONL file's first ones.
	stdout, _ = rrra(t, "audit", "--data", "cranfield", "--model", p("model"), "--doc-len", "32", "--k", "20",
		"--rrra-params", "epochs=2", "--out", p("audit2.jsonl"), "--top", "3", "--json", "--quiet")
	var top []suspect
	if err := json.Unmarshal([]byte(stdout), &top); err != nil || len(top) != 3 {
		t.Fatalf("audit --json: %v, %d rows:\n%s", err, len(top), stdout)
	}
	for i, r := range top {
		var want suspect
		json.Unmarshal([]byte(lines[i]), &want)
		if r != want {
			t.Errorf("audit --json row %d = %+v, the JSONL file's %+v", i, r, want)
		}
	}
	prev := 2.0
	for _, l := range lines {
		var r suspect
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.SFN > prev || r.Rank < 1 || r.QueryTop < 1 || r.Text == "" && r.Title == "" && r.DocID != "471" && r.DocID != "995" {
			t.Fatalf("audit row %s: %v (previous s_FN %v)", l, err, prev)
		}
		prev = r.SFN
	}
	if tsv := string(readFile(t, p("audit.tsv"))); !strings.HasPrefix(tsv, "query_id\tdoc_id\ts_fn\trank") || strings.Count(tsv, "\n") != 135*20+1 {
		t.Errorf("audit TSV: %d lines", strings.Count(tsv, "\n"))
	}
	h := string(readFile(t, p("audit.html")))
	if strings.Count(h, "<tr>") != 6 || !strings.Contains(h, "beside the 952 labelled positives") {
		t.Errorf("audit HTML: %d rows, or no count of the positives", strings.Count(h, "<tr>"))
	}
	// Two plots, embedded PNGs: the histograms and the calibration.
	imgs := strings.Split(h, `src="data:image/png;base64,`)[1:]
	if len(imgs) != 2 {
		t.Fatalf("audit HTML embeds %d PNG plots, want 2", len(imgs))
	}
	for i, im := range imgs {
		b, err := base64.StdEncoding.DecodeString(im[:strings.IndexByte(im, '"')])
		if err != nil {
			t.Fatalf("plot %d: %v", i, err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("plot %d is not a PNG: %v", i, err)
		}
	}
	var out, eb bytes.Buffer
	if code := run([]string{"train", "--data", "cranfield", "--out", p("m2"), "--sampler", "rrra", "--sampler-params", "zeta=3"}, &out, &eb); code != 1 || !strings.Contains(eb.String(), `no parameter "zeta"`) {
		t.Errorf("unknown rrra parameter: exit %d, %s", code, eb.String())
	}
	eb.Reset()
	if code := run([]string{"train", "--data", "cranfield", "--out", p("m3"), "--checkpoint", p("ck"), "--sampler", "rrra", "--sampler-params", "self_train=0.9"}, &out, &eb); code != 1 || !strings.Contains(eb.String(), "cannot be resumed") {
		t.Errorf("self-training with a checkpoint: exit %d, %s", code, eb.String())
	}
}

// TestExperiment runs rrra experiment on a tiny budget with planted false
// negatives and checks the table, the JSON summary and the plots.
func TestExperiment(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("runs rrra experiment, two seeds: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	dir := t.TempDir()
	out, errs := rrra(t, "experiment", "--data", "cranfield", "--methods", "bm25,topk-uniform,rrra", "--seeds", "2",
		"--warm-steps", "4", "--steps", "6", "--refresh", "3", "--batch", "8", "--doc-len", "32", "--vocab-size", "800",
		"--hide-positives", "0.3", "--rrra-params", "epochs=2", "--out", dir, "--variants", "A:;B:adapter=B;lex:lex_feature=1,score_feature=1,no_vectors=1")
	for _, want := range []string{"| bm25 | 0.3306 |", "| topk-uniform |", "| rrra |", "AUC s_FN", "best baseline, topk-uniform",
		"| topk-uniform | B | `epochs=2,adapter=B` |", "| rrra | lex |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(errs, "seed 2  rrra             nDCG@10") != 1 || strings.Count(errs, "variant") != 12 || !strings.Contains(errs, "hid ") {
		t.Errorf("log:\n%s", errs)
	}
	var sum struct {
		Best    string           `json:"best_baseline"`
		Methods []map[string]any `json:"methods"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "results.json")), &sum); err != nil || sum.Best != "topk-uniform" || len(sum.Methods) != 3 {
		t.Fatalf("results.json: %v %+v", err, sum)
	}
	if _, ok := sum.Methods[2]["p_vs_best"]; !ok {
		t.Error("no p-value for rrra")
	}
	// Variant A has the experiment's own parameters, so on the same model
	// and seed it must find the planted negatives exactly as the main s_FN.
	for _, m := range sum.Methods[1:] {
		// Hardness: the mean cosine of the sampled negatives drawn from
		// the pool, per seed; topk-uniform draws them all from it.
		h, _ := m["hardness"].([]any)
		fp, _ := m["from_pool"].([]any)
		if len(h) != 2 || len(fp) != 2 {
			t.Fatalf("%s: hardness %v, from_pool %v; want one per seed", m["method"], m["hardness"], m["from_pool"])
		}
		for s := range h {
			if c := h[s].(float64); !(c > -1 && c <= 1) {
				t.Errorf("%s: hardness %g is not a cosine", m["method"], c)
			}
			if f := fp[s].(float64); m["method"] == "topk-uniform" && f != 1 {
				t.Errorf("topk-uniform drew a share %g of its negatives from its pool, want 1", f)
			}
		}
		for _, k := range []string{"top20_s_fn", "top20_score", "top20_simans"} {
			v, ok := m["planted_auc"].(map[string]any)[k].([]any)
			if !ok || len(v) != 2 {
				t.Errorf("%s: planted_auc[%s] = %v, want one AUC per seed", m["method"], k, m["planted_auc"].(map[string]any)[k])
			}
		}
		main := fmt.Sprint(m["planted_auc"].(map[string]any)["s_fn"])
		va := fmt.Sprint(m["variants"].(map[string]any)["A"].(map[string]any)["auc_s_fn"])
		if main != va || main == "<nil>" {
			t.Errorf("%s: s_FN AUC %s, variant A %s", m["method"], main, va)
		}
	}
	for _, f := range []string{"table.md", "ndcg_cut_10.png", "loss.png", "s_fn_rrra.png", "calibration_rrra.png"} {
		b := readFile(t, filepath.Join(dir, f))
		if strings.HasSuffix(f, ".png") {
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}

// TestDemo runs rrra demo on its quick budget and checks the table, the
// plots and the saved model, then searches with that model, reranking as
// the demo did, and checks the run scores exactly what the table says.
// Then the product's default, the learned hybrid: rrra search --method
// hybrid with the saved model must reproduce the demo's rrra+learned row
// to the last bit of every measure, and rrra serve (its library server,
// loaded as the command loads it) must return each test query's top 10 as
// search does.
func TestDemo(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("runs the quick demo: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	dir := t.TempDir()
	out, errs := rrra(t, "demo", "--quick", "--out", dir)
	for _, want := range []string{"| bm25 | 0.3306 |", "| topk-uniform |", "| rrra |", "| rrra+rrf |", "| rrra+linear |", "| rrra+learned |"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo table lacks %q:\n%s\n%s", want, out, errs)
		}
	}
	for _, f := range []string{"table.md", "results.json", "ndcg_cut_10.png", "loss.png", "model/rrra_biencoder.json", "model/rrra_adapter.safetensors", "model/rrra_fusion.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	var row string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| rrra |") {
			row = l
		}
	}
	ndcg := strings.TrimSpace(strings.Split(row, "|")[2])
	_, errs = rrra(t, "search", "--data", "cranfield", "--method", "dense", "--model", filepath.Join(dir, "model"),
		"--doc-len", "32", "--rerank", "0.25", "--k", "100", "--out", filepath.Join(dir, "run.trec"))
	if !strings.Contains(errs, "nDCG@10 "+ndcg) {
		t.Errorf("search with the demo's model: want nDCG@10 %s as in the table\n%s", ndcg, errs)
	}

	// The learned hybrid, through search.
	hybridRun := filepath.Join(dir, "hybrid.trec")
	_, errs = rrra(t, "search", "--data", "cranfield", "--method", "hybrid", "--model", filepath.Join(dir, "model"),
		"--doc-len", "32", "--k", "100", "--out", hybridRun)
	if !strings.Contains(errs, "the learned fusion of") {
		t.Errorf("search --method hybrid does not say it uses the learned fusion:\n%s", errs)
	}
	f, err := os.Open(hybridRun)
	if err != nil {
		t.Fatal(err)
	}
	run, err := metrics.ReadRun(f, hybridRun)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	d, err := beir.Read("cranfield", beir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	test, _, err := d.Qrels("test")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := metrics.Evaluate(metrics.Qrels(test), run, experiment.Measures, metrics.Options{Complete: true})
	if err != nil {
		t.Fatal(err)
	}
	jf, err := os.Open(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := experiment.ReadResults(jf)
	jf.Close()
	if err != nil {
		t.Fatal(err)
	}
	learned := res.Method("rrra+learned")
	if learned == nil {
		t.Fatal("results.json has no rrra+learned row")
	}
	for _, m := range experiment.Measures {
		if got, want := rep.Mean[m], learned.PerSeed[m][0]; got != want {
			t.Errorf("search --method hybrid: %s %v, the demo's rrra+learned row %v", m, got, want)
		}
	}

	// The same ranking through serve.
	fs := newFlags("serve", "", io.Discard)
	df := addDataFlags(fs, "cranfield")
	o := serveOptions{maxK: 100, maxQuery: 2000, maxBatch: 64, maxInflight: 8, timeout: time.Minute, lambda: 0.25, rerankK: 100}
	s, err := newServer(df, filepath.Join(dir, "model"), "", 32, 32, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m := s.DefaultMode(); m != libserver.Hybrid {
		t.Fatalf("serve ranks %s by default, want hybrid", m)
	}
	// All the test queries in one call, as search encodes them: a call of
	// more queries than the batcher gathers is encoded whole and alone,
	// so every query vector is bit for bit search's (one query at a time
	// they may differ in their last bits, and a near tie at the dense top
	// 100's edge then changes the candidates' min-max features).
	qids, texts := retrieval.QueryTexts(d.SplitQueries(test))
	res2, err := s.Search(context.Background(), texts, 10, libserver.Hybrid)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res2 {
		want := run[qids[i]]
		if r.Mode != libserver.Hybrid || len(r.Hits) != min(10, len(want)) {
			t.Fatalf("query %s: serve gives %d hits (%s), search %d", qids[i], len(r.Hits), r.Mode, len(want))
		}
		// The same documents at the same scores, rank by rank (documents
		// of equal score may come in either order: search writes ties in
		// trec_eval's order). The run file holds each score as the
		// shortest decimal that reads back as the same float32.
		for j, h := range r.Hits {
			tied := slices.ContainsFunc(want, func(w metrics.Result) bool { return w.DocID == h.ID && w.Score == want[j].Score })
			if h.Fused == nil || *h.Fused != float32(want[j].Score) || !tied {
				t.Errorf("query %s rank %d: serve gives %s (fused %v), search %s (%v)", qids[i], j+1, h.ID, *h.Fused, want[j].DocID, want[j].Score)
			}
		}
	}
}

// TestExperimentSelfTraining runs rrra experiment with self-training on a
// tiny budget: a threshold this low promotes one candidate per training
// query at the one dense refresh, and the table and JSON must count them
// and how many were planted. The method also reranks, with λ_RR chosen
// from a grid, which the table and JSON must report.
func TestExperimentSelfTraining(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("runs rrra experiment: full suite only (-short skips it)")
	}
	dir := t.TempDir()
	out, errs := rrra(t, "experiment", "--data", "cranfield", "--methods", "rrra", "--seeds", "1",
		"--warm-steps", "4", "--steps", "6", "--refresh", "3", "--batch", "8", "--doc-len", "32", "--vocab-size", "800",
		"--hide-positives", "0.3", "--rrra-params", "epochs=2,self_train=0.001,self_train_max=1", "--rerank-grid", "2,0.5", "--out", dir)
	if !strings.Contains(out, "Self-training: candidates promoted") || !strings.Contains(errs, "self-training promoted 135 candidates") {
		t.Fatalf("no self-training report:\n%s\n%s", out, errs)
	}
	if !strings.Contains(out, "reranking λ chosen per seed from {0, 0.5, 2}") || !strings.Contains(out, "rrra: λ_RR chosen per seed: ") ||
		!strings.Contains(errs, "chosen on the training queries (nDCG@10 λ 0: ") {
		t.Errorf("no report of the λ_RR chosen:\n%s\n%s", out, errs)
	}
	var sum struct {
		Methods []struct {
			SelfTrain map[string][]float64 `json:"self_training"`
			Lambda    []float64            `json:"rerank_lambda"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "results.json")), &sum); err != nil || len(sum.Methods) != 1 {
		t.Fatalf("results.json: %v %+v", err, sum)
	}
	if l := sum.Methods[0].Lambda; len(l) != 1 || (l[0] != 0 && l[0] != 0.5 && l[0] != 2) {
		t.Errorf("rerank_lambda %v: want one value of the grid {0, 0.5, 2}", l)
	}
	st := sum.Methods[0].SelfTrain
	n, prec, recall := st["promoted"], st["precision"], st["planted_recall"]
	if len(n) != 1 || n[0] != 135 || len(prec) != 1 || len(recall) != 1 {
		t.Fatalf("self_training %v: want 135 promoted (one per training query) in one seed", st)
	}
	// 299 planted documents in all: the planted among the promoted,
	// counted both ways, must agree.
	if hit := prec[0] * n[0]; math.Abs(hit-recall[0]*299) > 1e-6 || hit < 0 || hit > n[0] {
		t.Errorf("precision %g of %g promoted and recall %g of 299 planted disagree", prec[0], n[0], recall[0])
	}
}
