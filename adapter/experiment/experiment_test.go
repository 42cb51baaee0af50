package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/beir"
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
