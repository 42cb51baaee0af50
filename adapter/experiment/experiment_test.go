package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
)

func loadCranfield(t *testing.T) *beir.Dataset {
	t.Helper()
	d, err := beir.Read("cranfield", beir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// goldenConfig is the configuration of testdata/golden (see its README).
func goldenConfig(t *testing.T) Config {
	c := DefaultConfig()
	var err error
	if c.Methods, err = ParseMethods("bm25,crops,topk-uniform,rrra"); err != nil {
		t.Fatal(err)
	}
	c.Seeds, c.VocabSize, c.WarmSteps, c.Steps, c.Refresh, c.DocLen = 1, 800, 10, 10, 5, 32
	c.RRRAParams, c.HidePositives, c.RerankGrid = "base=uniform,epochs=2,self_train=0.9", 0.3, []float64{0.25}
	if c.Variants, err = ParseVariants("lex:lex_feature=1", c.RRRAParams); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGoldenExperiment checks that Run reproduces, figure for figure, the
// results rrra experiment gave before its protocol moved here.
func TestGoldenExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four models (about 10 s): skipped under -short")
	}
	restore, ok := kernels.Use("avx2")
	if !ok {
		t.Skip("the golden figures were made with the avx2 kernels, which this CPU lacks; other tiers round differently")
	}
	defer restore()
	defer kernels.SetThreads(kernels.SetThreads(1))

	res, err := Run(context.Background(), loadCranfield(t), goldenConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := res.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	g, w := figures(t, got.Bytes()), figures(t, want)
	for i, wm := range w {
		if i >= len(g) {
			t.Fatalf("%d methods, want %d", len(g), len(w))
		}
		for k, wv := range wm {
			if gv := g[i][k]; !reflect.DeepEqual(gv, wv) {
				t.Errorf("method %v, %s:\n got %v\nwant %v", wm["method"], k, gv, wv)
			}
		}
	}
	// Round trip: ReadResults reads what WriteJSON wrote.
	back, err := ReadResults(bytes.NewReader(got.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Best != res.Best || len(back.Methods) != len(res.Methods) || back.Method(RRRA).PerQuery == nil {
		t.Errorf("ReadResults: best %q, %d methods; want %q, %d", back.Best, len(back.Methods), res.Best, len(res.Methods))
	}

	var table bytes.Buffer
	if err := res.WriteMarkdown(&table); err != nil {
		t.Fatal(err)
	}
	wantTable, err := os.ReadFile(filepath.Join("testdata", "golden", "table.md"))
	if err != nil {
		t.Fatal(err)
	}
	if gl, wl := tableLines(table.String()), tableLines(string(wantTable)); !reflect.DeepEqual(gl, wl) {
		t.Errorf("table.md differs:\n got\n%s\nwant\n%s", strings.Join(gl, "\n"), strings.Join(wl, "\n"))
	}
}

// figures returns each method's JSON fields without those that time
// the run.
func figures(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var r struct {
		Methods []map[string]any `json:"methods"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, m := range r.Methods {
		delete(m, "seconds_per_seed")
		for _, v := range m {
			if vm, ok := v.(map[string]any); ok {
				for _, x := range vm {
					if xm, ok := x.(map[string]any); ok {
						delete(xm, "fit_seconds")
					}
				}
			}
		}
		for k, v := range m {
			if v == nil || reflect.DeepEqual(v, map[string]any{}) {
				delete(m, k) // absent and empty mean the same
			}
		}
	}
	return r.Methods
}

// tableLines returns the table's lines without the header line that
// names the command, machine, date and wall time, and without the
// variants' "fit s" column.
func tableLines(s string) []string {
	var out []string
	for i, l := range strings.Split(s, "\n") {
		if i == 2 {
			continue
		}
		if strings.Contains(l, "| `base=") {
			l = l[:strings.LastIndex(strings.TrimSuffix(l, " |"), "|")]
		}
		out = append(out, l)
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"seeds", func(c *Config) { c.Seeds = 0 }, "seeds 0"},
		{"negative steps", func(c *Config) { c.Steps = -1 }, "steps -1"},
		{"temperature", func(c *Config) { c.Temperature = -0.05 }, "temperature"},
		{"hide all", func(c *Config) { c.HidePositives = 1 }, "hidden share"},
		{"lambda", func(c *Config) { c.RerankLambda = -1 }, "λ_RR -1"},
		{"grid", func(c *Config) { c.RerankGrid = []float64{0.5, -2} }, "grid value -2"},
		{"rrra params", func(c *Config) { c.RRRAParams = "gamma=-1" }, "gamma"},
		{"unknown param", func(c *Config) { c.RRRAParams = "gama=1" }, "no parameter \"gama\""},
		{"method", func(c *Config) { c.Methods = []Method{"rrra-magic"} }, "unknown method"},
		{"variant", func(c *Config) { c.Variants = []Variant{{Name: "x", Params: "rho=2"}} }, "variant x"},
		{"hybrid not run", func(c *Config) { c.Hybrid = []Method{Random} }, "not among the methods run"},
		{"hybrid untrained", func(c *Config) { c.Hybrid = []Method{BM25} }, "trains no model"},
		{"hybrid twice", func(c *Config) { c.Hybrid = []Method{SimANS, SimANS} }, "listed twice"},
		{"method twice", func(c *Config) { c.Methods = []Method{BM25, SimANS, BM25} }, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// TestHybridRows runs a tiny experiment with hybrid rows and checks their
// place, their tests and choices, and that the learned row is what the
// saved model's fusion ranks: the fusion loaded back from the folder,
// over the saved model, reproduces the row's every per-query figure.
func TestHybridRows(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four models (about 20 s): skipped under -short")
	}
	defer kernels.SetThreads(kernels.SetThreads(1))
	c := DefaultConfig()
	c.Methods, c.Hybrid = []Method{BM25, TopKUniform, RRRA}, []Method{RRRA}
	c.Seeds, c.VocabSize, c.WarmSteps, c.Steps, c.Refresh, c.DocLen = 1, 800, 10, 10, 5, 32
	c.RRRAParams, c.SaveModel = "base=uniform,epochs=2", filepath.Join(t.TempDir(), "model")
	d := loadCranfield(t)
	res, err := Run(context.Background(), d, c)
	if err != nil {
		t.Fatal(err)
	}
	var names []Method
	for _, m := range res.Methods {
		names = append(names, m.Method)
	}
	want := []Method{BM25, TopKUniform, RRRA, "rrra+rrf", "rrra+linear", "rrra+learned"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("rows %v, want %v", names, want)
	}
	for _, m := range res.Methods[3:] {
		if m.PVsBM25 == nil || (m.Method != "rrra+rrf") != (m.PVsRRF != nil) || m.PVsBest != nil {
			t.Errorf("%s: p vs BM25 %v, vs RRF %v, vs best %v", m.Method, m.PVsBM25, m.PVsRRF, m.PVsBest)
		}
		if len(m.PerQuery) != 90 {
			t.Errorf("%s: %d test queries scored, want 90", m.Method, len(m.PerQuery))
		}
	}
	if a := res.Methods[4].FusionChoice; len(a) != 1 || a[0] < 0 || a[0] > 1 {
		t.Errorf("linear row's α %v: want one value in [0, 1]", a)
	}
	if h := res.Methods[5].FusionChoice; len(h) != 1 || !slices.Contains([]float64{0, 8, 16}, h[0]) {
		t.Errorf("learned row's hidden units %v: want one of 0, 8, 16", h)
	}
	got := learnedFromFolder(t, d, c.SaveModel, c.QueryLen, c.DocLen)
	for q, v := range res.Methods[5].PerQuery {
		if got[q] != v {
			t.Errorf("query %s: the saved fusion gives nDCG@10 %v, the learned row %v", q, got[q], v)
		}
	}
	var table bytes.Buffer
	if err := res.WriteMarkdown(&table); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"| p vs BM25 | p vs RRF |", "rrra+learned: the learned fusion's hidden units chosen per seed"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
}

// learnedFromFolder ranks d's test queries hybrid with the model folder
// dir (queries and documents cut to qLen and dLen tokens, as in training)
// and its saved fusion, as search does, and returns each query's nDCG@10.
func learnedFromFolder(t *testing.T, d *beir.Dataset, dir string, qLen, dLen int) map[string]float64 {
	t.Helper()
	enc, err := retrieval.LoadEncoder(dir, retrieval.EncoderOptions{QueryLen: qLen, DocLen: dLen})
	if err != nil {
		t.Fatal(err)
	}
	f, err := adapter.LoadFusion(filepath.Join(dir, adapter.FusionFile))
	if err != nil {
		t.Fatal(err)
	}
	corpus := retrieval.NewCorpusData(d)
	ix, err := retrieval.IndexCorpus(enc, corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	test, _, err := d.Qrels("test")
	if err != nil {
		t.Fatal(err)
	}
	qids, texts := retrieval.QueryTexts(d.SplitQueries(test))
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &adapter.HybridRanker{Index: ix, BM25: retrieval.BuildBM25(corpus), K: 100, Scale: enc.LogitScale(), Fusion: f}
	run, err := h.Search(qids, texts, qv, 100)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := metrics.Evaluate(metrics.Qrels(test), run, []string{"ndcg_cut_10"}, metrics.Options{Complete: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for q, v := range rep.PerQuery {
		out[q] = v["ndcg_cut_10"]
	}
	return out
}

func TestParseMethodsAndVariants(t *testing.T) {
	ms, err := ParseMethods("bm25, rrra")
	if err != nil || !reflect.DeepEqual(ms, []Method{BM25, RRRA}) {
		t.Fatalf("ParseMethods: %v %v", ms, err)
	}
	if _, err := ParseMethods("bm25,nope"); err == nil {
		t.Fatal("ParseMethods accepted an unknown method")
	}
	vs, err := ParseVariants("A:;lex:lex_feature=1", "base=uniform")
	want := []Variant{{"A", "base=uniform"}, {"lex", "base=uniform,lex_feature=1"}}
	if err != nil || !reflect.DeepEqual(vs, want) {
		t.Fatalf("ParseVariants: %v %v, want %v", vs, err, want)
	}
	for _, bad := range []string{"noname", ":k=1", "x:k=0"} {
		if _, err := ParseVariants(bad, ""); err == nil {
			t.Errorf("ParseVariants(%q) accepted", bad)
		}
	}
}
