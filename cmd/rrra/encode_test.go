package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/tensor"
)

const tinyModel = "../../nn/testdata/tinybert"

// TestEncode runs "rrra encode" on the tiny test model and checks the .npy:
// its shape, input order, and that each row (encoded in a padded batch)
// equals the text encoded alone, so padding does not leak into vectors.
func TestEncode(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	rows := []string{
		`{"_id": "a", "title": "Cranfield", "text": "experimental investigation of the aerodynamics of a wing in a slipstream"}`,
		`{"_id": "b", "text": "short"}`,
		`{"_id": "c", "text": "Café déjà vu — naïve résumé, with accents and punctuation!"}`,
	}
	os.WriteFile(in, []byte(strings.Join(rows, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "out.npy")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"encode", "-model", tinyModel, "-input", in, "-out", out, "-pooling", "mean", "-normalize", "-batch", "2", "-quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, err := tensor.ReadNpyFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.Shape != tensor.S(3, 32) {
		t.Fatalf("shape %v", got.Shape)
	}
	m, _, err := nn.LoadModel(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	tok := wordpiece.New(m.Vocab, m.Lower)
	texts := []string{"Cranfield experimental investigation of the aerodynamics of a wing in a slipstream", "short",
		"Café déjà vu — naïve résumé, with accents and punctuation!"}
	for i, text := range texts {
		ids := tok.Encode(nil, text, 128)
		mask := tensor.New(tensor.S(1, len(ids)))
		mask.Fill(1)
		tp := autograd.NewTape(0)
		tp.NoGrad(true)
		tp.SetTraining(false)
		v := nn.Pool(tp, m.Bert.Forward(tp, ids, nil, mask), mask, nn.PoolMean, true)
		if err := tp.Err(); err != nil {
			t.Fatal(err)
		}
		for j, w := range v.Data() {
			if d := math.Abs(float64(got.Row(i)[j] - w)); d > 1e-5 {
				t.Fatalf("row %d element %d: %v in the batch, %v alone", i, j, got.Row(i)[j], w)
			}
		}
	}
}

func TestEncodeBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, content, want string }{
		{"missing text", "{\"_id\": \"a\"}\n", "in.jsonl:1: field text is missing"},
		{"wrong type", "{\"text\": \"ok\"}\n{\"text\": 5}\n", "in.jsonl:2:"},
		{"truncated", "{\"text\": \"ok\"}\n{\"text\": \"unterminated\n", "in.jsonl:2:"},
		{"invalid UTF-8", "{\"text\": \"\xff\xfe\"}\n", "in.jsonl:1: not valid UTF-8"},
	}
	for _, c := range cases {
		in := filepath.Join(dir, "in.jsonl")
		os.WriteFile(in, []byte(c.content), 0o644)
		out := filepath.Join(dir, c.name+".npy")
		var stdout, stderr bytes.Buffer
		code := run([]string{"encode", "-model", tinyModel, "-input", in, "-out", out, "-quiet"}, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s: exit %d, stderr %q, want 1 and %q", c.name, code, stderr.String(), c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: partial output left behind", c.name)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"encode", "-model", tinyModel}, &stdout, &stderr); code != 2 {
		t.Errorf("missing flags: exit %d", code)
	}
	if code := run([]string{"encode", "-model", tinyModel, "-input", "x", "-out", "y", "-pooling", "max"}, &stdout, &stderr); code != 2 {
		t.Errorf("bad pooling: exit %d", code)
	}
}

// TestEncodeFolderDecides checks that the model folder decides pooling and
// normalisation (rrra_biencoder.json, or the sentence-transformers files
// alone), that flags override it only when given, and that -prompt puts
// the folder's named prompt before every row. tinybert is a plain Hugging
// Face directory: CLS and no normalisation, as before this change.
func TestEncodeFolderDecides(t *testing.T) {
	dir := t.TempDir()
	m, _, err := nn.LoadModel(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	m.Prompts = map[string]string{"query": "query: ", "passage": "passage: "}
	saved := filepath.Join(dir, "model")
	if err := nn.SaveBiEncoder(saved, &nn.BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: nn.PoolMean, Normalize: true}, m); err != nil {
		t.Fatal(err)
	}
	stOnly := filepath.Join(dir, "st")
	if err := nn.SaveBiEncoder(stOnly, &nn.BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: nn.PoolMean, Normalize: true}, m); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(stOnly, nn.BiEncoderFile))
	texts := []string{"experimental investigation of a wing in a slipstream", "short"}
	write := func(name, prefix string) string {
		p := filepath.Join(dir, name)
		var b strings.Builder
		for _, s := range texts {
			fmt.Fprintf(&b, "{\"text\": %q}\n", prefix+s)
		}
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	plain, prompted := write("plain.jsonl", ""), write("prompted.jsonl", "query: ")
	n := 0
	encode := func(model, input string, flags ...string) *tensor.Tensor {
		t.Helper()
		n++
		out := filepath.Join(dir, fmt.Sprintf("out%d.npy", n))
		var stdout, stderr bytes.Buffer
		args := append([]string{"encode", "-model", model, "-input", input, "-out", out, "-quiet"}, flags...)
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		v, err := tensor.ReadNpyFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	same := func(a, b *tensor.Tensor) bool {
		for i := range a.Data {
			if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-6 {
				return false
			}
		}
		return true
	}
	meanNorm := encode(tinyModel, plain, "-pooling", "mean", "-normalize")
	cls := encode(tinyModel, plain)
	for _, c := range []struct {
		name  string
		got   *tensor.Tensor
		want  *tensor.Tensor
		equal bool
	}{
		{"rrra folder, no flags", encode(saved, plain), meanNorm, true},
		{"sentence-transformers files alone, no flags", encode(stOnly, plain), meanNorm, true},
		{"plain directory, no flags (CLS)", cls, meanNorm, false},
		{"flags override the folder", encode(saved, plain, "-pooling", "cls", "-normalize=false"), cls, true},
		{"-prompt query", encode(stOnly, plain, "-prompt", "query"), encode(stOnly, prompted), true},
		{"no prompt unless asked", encode(stOnly, plain), encode(stOnly, prompted), false},
	} {
		if same(c.got, c.want) != c.equal {
			t.Errorf("%s: equal %v, want %v", c.name, !c.equal, c.equal)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"encode", "-model", stOnly, "-input", plain, "-out", filepath.Join(dir, "x.npy"), "-prompt", "instruct"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), `no prompt named "instruct"`) {
		t.Errorf("unknown prompt: exit %d, %s", code, stderr.String())
	}
}
