package main

import (
	"bytes"
	"io"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	libserver "github.com/rrra/rrra/adapter/server"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/tensor"
)

// TestQuantizeEndToEnd quantizes the committed mini model through the CLI
// and runs the quantized folder through encode, index, search and serve:
// int8 vectors close to float32 ones, the same bit for bit on every integer
// tier and whether the folder or --precision asked for int8, an index that
// records its precision and is refused to a float32 model, and a server
// that answers.
func TestQuantizeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	q := p("int8")
	_, errs := rrra(t, "quantize", "--model", serveMiniModel, "--out", q)
	if !strings.Contains(errs, "copied README.md") {
		t.Errorf("quantize log does not list the copied README:\n%s", errs)
	}
	m, _, err := nn.LoadModel(q)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Bert.Quantized() || m.Bert.Precision() != nn.Int8 {
		t.Fatal("the quantized folder does not load as int8")
	}

	// encode: texts from Cranfield's queries, a few lengths.
	rows := []string{
		`{"text": "what similarity laws must be obeyed when constructing aeroelastic models of heated high speed aircraft"}`,
		`{"text": "boundary layer"}`,
		`{"text": "what are the structural and aeroelastic problems associated with flight of high speed aircraft"}`,
		`{"text": "how can the aerodynamic performance of channel flow ground effect machines be calculated"}`,
	}
	in := p("in.jsonl")
	os.WriteFile(in, []byte(strings.Join(rows, "\n")+"\n"), 0o644)
	encode := func(name, model string, more ...string) *tensor.Tensor {
		t.Helper()
		rrra(t, append([]string{"encode", "--model", model, "--input", in, "--out", p(name), "--quiet"}, more...)...)
		v, err := tensor.ReadNpyFile(p(name))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	fp32 := encode("fp32.npy", serveMiniModel)
	int8 := encode("int8.npy", q)
	encode("asked.npy", serveMiniModel, "--precision", "int8")
	deq := encode("deq.npy", q, "--precision", "fp32")
	if !bytes.Equal(readFile(t, p("int8.npy")), readFile(t, p("asked.npy"))) {
		t.Error("the quantized folder and --precision int8 on the float32 folder encode differently")
	}
	bf16 := encode("bf16.npy", serveMiniModel, "--precision", "bf16")
	for i := range 4 {
		if c := cosine32(fp32.Row(i), bf16.Row(i)); c < 0.995 || c == 1 {
			t.Errorf("row %d: bf16 vs float32 cosine %v; want close to 1, not equal", i, c)
		}
		c := cosine32(fp32.Row(i), int8.Row(i))
		if c < 0.98 || c == 1 {
			t.Errorf("row %d: int8 vs float32 cosine %v; want close to 1, not equal", i, c)
		}
		if c := cosine32(deq.Row(i), int8.Row(i)); c < 0.98 {
			t.Errorf("row %d: int8 vs dequantized float32 cosine %v", i, c)
		}
	}
	// The same vectors on every integer tier this CPU has: a folder
	// quantized here embeds identically on a CPU without VNNI or AVX2.
	for _, tier := range kernels.Int8Tiers() {
		restore, ok := kernels.UseInt8(tier)
		if !ok {
			_, why := kernels.Int8Supported(tier)
			t.Logf("tier %s not run: %s", tier, why)
			continue
		}
		encode("tier.npy", q)
		restore()
		if !bytes.Equal(readFile(t, p("int8.npy")), readFile(t, p("tier.npy"))) {
			t.Errorf("integer tier %s encodes differently from %s", tier, kernels.SelectedInt8())
		}
	}

	// index and search.
	rrra(t, "index", "--data", "cranfield", "--model", q, "--out", p("int8.idx"), "--doc-len", "32")
	ix, err := index.Load(p("int8.idx"), index.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ix.Meta()["precision"]; got != "int8" {
		t.Errorf("index metadata precision %q, want int8", got)
	}
	ix.Close()
	_, errs = rrra(t, "search", "--data", "cranfield", "--split", "test", "--method", "dense", "--model", q, "--index", p("int8.idx"),
		"--doc-len", "32", "--k", "10", "--out", p("int8.trec"))
	if !strings.Contains(errs, "dense test: nDCG@10") {
		t.Errorf("search log:\n%s", errs)
	}
	// --precision int8 on the float32 folder is the same model: its index
	// serves it.
	rrra(t, "search", "--data", "cranfield", "--split", "test", "--method", "dense", "--model", serveMiniModel, "--precision", "int8",
		"--index", p("int8.idx"), "--doc-len", "32", "--k", "10", "--out", p("asked.trec"))
	if !bytes.Equal(readFile(t, p("int8.trec")), readFile(t, p("asked.trec"))) {
		t.Error("searching with the quantized folder and with --precision int8 gave different runs")
	}
	code, _, stderr := cli("search", "--data", "cranfield", "--method", "dense", "--model", q, "--precision", "fp32",
		"--index", p("int8.idx"), "--doc-len", "32", "--out", p("x.trec"))
	if code == 0 || !strings.Contains(stderr, "encoded at int8 precision and this model runs at fp32") {
		t.Errorf("an int8 index searched at fp32: exit %d\n%s", code, stderr)
	}
	code, _, stderr = cli("search", "--data", "cranfield", "--method", "dense", "--model", q, "--precision", "bf16",
		"--index", p("int8.idx"), "--doc-len", "32", "--out", p("x.trec"))
	if code == 0 || !strings.Contains(stderr, "encoded at int8 precision and this model runs at bf16") {
		t.Errorf("an int8 index searched at bf16: exit %d\n%s", code, stderr)
	}

	// serve, at the folder's precision and at fp32.
	for _, prec := range []string{"", "fp32"} {
		fs := newFlags("serve", "", io.Discard)
		df := addDataFlags(fs, "cranfield")
		o := serveOptions{maxK: 10, maxQuery: 4000, maxBatch: 4, maxInflight: 4, timeout: time.Minute, lambda: 0.25, rerankK: 100, batchQueries: 8, precision: prec}
		s, err := newServer(df, q, p("int8.idx"), 32, 32, o, io.Discard)
		if prec == "fp32" {
			if err == nil || !strings.Contains(err.Error(), "encoded at int8 precision") {
				t.Errorf("serve --precision fp32 with an int8 index: %v", err)
			}
			if err == nil {
				s.Close()
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.handler())
		var r libserver.Result
		if code := getJSON(t, ts.URL+"/search?k=3&q="+url.QueryEscape("boundary layer transition"), &r); code != 200 || len(r.Hits) != 3 {
			t.Errorf("serve int8: %d %+v", code, r)
		}
		var health map[string]any
		if code := getJSON(t, ts.URL+"/healthz", &health); code != 200 || health["precision"] != "int8" {
			t.Errorf("/healthz of an int8 server: %d %v, want precision int8", code, health)
		}
		ts.Close()
		s.Close()
	}
}

// TestQuantizeRefuses checks the cases quantize and train must refuse.
func TestQuantizeRefuses(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "int8")
	rrra(t, "quantize", "--model", serveMiniModel, "--out", q, "--quiet")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"quantize", "--model", q, "--out", filepath.Join(dir, "again")}, "is already quantized"},
		{[]string{"quantize", "--model", q, "--out", q}, "is the model folder"},
		{[]string{"quantize", "--model", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "x")}, "no such file"},
		{[]string{"train", "--data", "cranfield", "--model", q, "--out", filepath.Join(dir, "trained"), "--steps", "1"}, "cannot be trained"},
	} {
		code, _, stderr := cli(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("rrra %s: exit %d, want an error containing %q:\n%s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "again")); err == nil {
		t.Error("a refused quantize left an output folder")
	}
}

func cosine32(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
