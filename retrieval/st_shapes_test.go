package retrieval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/tensor"
)

// stShapesGolden is ../nn/testdata/st_shapes_golden.json, written by
// ../nn/testdata/gen_st_shapes.py.
type stShapesGolden struct {
	Prompts map[string]string  `json:"prompts"`
	Texts   []string           `json:"texts"`
	IDs     map[string][][]int `json:"ids"` // by variant: "none", "query", "passage"
	Models  []struct {
		Name    string                 `json:"name"`
		Seed    uint64                 `json:"seed"`
		Hidden  int                    `json:"hidden"`
		Layers  int                    `json:"layers"`
		Heads   int                    `json:"heads"`
		FFN     int                    `json:"ffn"`
		Pooling string                 `json:"pooling"` // "mean" or "cls"
		Path    string                 `json:"path"`    // the Transformer module's folder
		Probe   map[string][]float64   `json:"probe"`   // first values of some parameters
		Vectors map[string][][]float64 `json:"vectors"` // by variant, one per text
	} `json:"models"`
}

// Sizes shared by the three shapes of st_shapes_golden.json.
const (
	stShapesVocab     = 30522
	stShapesPositions = 512
)

// stParam is one parameter of a Hugging Face BertModel: its name and
// shape.
type stParam struct {
	name  string
	shape []int
}

// stShapesParams lists BertModel's parameters without the pooler in the
// order of named_parameters, the order gen_st_shapes.py numbers them in:
// the five embedding parameters, then 16 per layer.
func stShapesParams(hidden, layers, ffn int) []stParam {
	c := hidden
	ps := []stParam{
		{"embeddings.word_embeddings.weight", []int{stShapesVocab, c}},
		{"embeddings.position_embeddings.weight", []int{stShapesPositions, c}},
		{"embeddings.token_type_embeddings.weight", []int{2, c}},
		{"embeddings.LayerNorm.weight", []int{c}},
		{"embeddings.LayerNorm.bias", []int{c}},
	}
	for l := 0; l < layers; l++ {
		pre := fmt.Sprintf("encoder.layer.%d.", l)
		for _, n := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			ps = append(ps, stParam{pre + n + ".weight", []int{c, c}}, stParam{pre + n + ".bias", []int{c}})
		}
		ps = append(ps,
			stParam{pre + "attention.output.LayerNorm.weight", []int{c}}, stParam{pre + "attention.output.LayerNorm.bias", []int{c}},
			stParam{pre + "intermediate.dense.weight", []int{ffn, c}}, stParam{pre + "intermediate.dense.bias", []int{ffn}},
			stParam{pre + "output.dense.weight", []int{c, ffn}}, stParam{pre + "output.dense.bias", []int{c}},
			stParam{pre + "output.LayerNorm.weight", []int{c}}, stParam{pre + "output.LayerNorm.bias", []int{c}})
	}
	return ps
}

// stMix64 is splitmix64's output function.
func stMix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// stRandomParam fills dst with parameter p (its position in
// stShapesParams) of the model with the given seed, by the recipe of
// gen_st_shapes.py: element i is drawn from the (i+1)-th output of
// splitmix64 started at state seed<<32 + p, z; k = z>>40 - 2^23; u =
// float64(k)·0.05, then u/2^23; a LayerNorm weight is float32(1+u), any
// other parameter float32(u), uniform in [-0.05, 0.05).
func stRandomParam(dst []float32, seed uint64, p int, gamma bool) {
	const golden = 0x9E3779B97F4A7C15
	state := seed<<32 + uint64(p)
	for i := range dst {
		z := stMix64(state + uint64(i+1)*golden)
		k := int64(z>>40) - 1<<23
		u := float64(k) * 0.05
		u /= 1 << 23
		if gamma {
			u += 1
		}
		dst[i] = float32(u)
	}
}

// writeSTShapeFolder writes a sentence-transformers folder at dir for one
// model of the golden file: the random weights, config.json, vocab.txt
// (bert-base-uncased, from ../nn/testdata/tinybert), tokenizer_config.json,
// sentence_bert_config.json under the Transformer module's path, and
// modules.json, 1_Pooling/config.json, 2_Normalize and
// config_sentence_transformers.json (the prompts) at the top. It returns
// the first values of each parameter, for the probe.
func writeSTShapeFolder(t *testing.T, dir string, g *stShapesGolden, mi int) map[string][]float32 {
	t.Helper()
	m := g.Models[mi]
	tdir := filepath.Join(dir, filepath.FromSlash(m.Path))
	for _, d := range []string{tdir, filepath.Join(dir, "1_Pooling"), filepath.Join(dir, "2_Normalize")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	params := stShapesParams(m.Hidden, m.Layers, m.FFN)
	named := make([]tensor.Named, len(params))
	first := map[string][]float32{}
	for p, ps := range params {
		tt := tensor.New(tensor.S(ps.shape...))
		stRandomParam(tt.Data, m.Seed, p, strings.HasSuffix(ps.name, "LayerNorm.weight"))
		named[p] = tensor.Named{Name: ps.name, Tensor: tt}
		first[ps.name] = slices.Clone(tt.Data[:4])
	}
	// Written plainly, not with WriteSafetensorsFile, whose fsync of a
	// few hundred MB costs seconds on a busy disk.
	f, err := os.Create(filepath.Join(tdir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := tensor.EncodeSafetensors(w, named, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	vocab, err := os.ReadFile("../nn/testdata/tinybert/vocab.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tdir, "vocab.txt"), vocab, 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]any{
		filepath.Join(tdir, "config.json"): map[string]any{
			"vocab_size": stShapesVocab, "hidden_size": m.Hidden, "num_hidden_layers": m.Layers, "num_attention_heads": m.Heads,
			"intermediate_size": m.FFN, "hidden_act": "gelu", "max_position_embeddings": stShapesPositions, "type_vocab_size": 2,
			"layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
			"pad_token_id": 0, "position_embedding_type": "absolute", "model_type": "bert", "architectures": []string{"BertModel"},
		},
		filepath.Join(tdir, "tokenizer_config.json"):     map[string]any{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": stShapesPositions},
		filepath.Join(tdir, "sentence_bert_config.json"): map[string]any{"max_seq_length": stShapesPositions, "do_lower_case": false},
		filepath.Join(dir, "modules.json"): []map[string]any{
			{"idx": 0, "name": "0", "path": m.Path, "type": "sentence_transformers.models.Transformer"},
			{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
			{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
		},
		filepath.Join(dir, "1_Pooling", "config.json"): map[string]any{
			"word_embedding_dimension": m.Hidden, "pooling_mode_cls_token": m.Pooling == "cls",
			"pooling_mode_mean_tokens": m.Pooling == "mean", "include_prompt": true,
		},
		filepath.Join(dir, "config_sentence_transformers.json"): map[string]any{
			"prompts": g.Prompts, "default_prompt_name": nil, "similarity_fn_name": "cosine",
		},
	}
	for path, v := range files {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return first
}

// TestSentenceTransformersShapesGolden checks rrra against PyTorch at the
// shapes users deploy: random-weight models of the all-MiniLM-L6-v2 (mean
// pooling), bge-small-en-v1.5 (CLS pooling) and BERT-base (mean pooling,
// weights under 0_Transformer/) shapes, each written as a
// sentence-transformers folder with a Normalize module and the prompts
// "query: " and "passage: ", loaded by LoadEncoder with no options. Its
// queries, documents, and both without prompts (NoPrompts) must match
// the vectors of gen_st_shapes.py within 1e-4 in every component; the
// token ids, the weights (their first values) and the prompts' effect on
// the vectors are checked on the way.
func TestSentenceTransformersShapesGolden(t *testing.T) {
	data, err := os.ReadFile("../nn/testdata/st_shapes_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g stShapesGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Models) != 3 || len(g.Texts) == 0 {
		t.Fatalf("golden file: %d models, %d texts; want 3 models and some texts", len(g.Models), len(g.Texts))
	}
	const tol = 1e-4
	for mi, m := range g.Models {
		t.Run(m.Name, func(t *testing.T) {
			if testing.Short() && m.Hidden > 384 {
				t.Skipf("skipped under -short: the %s shape has %d-wide hidden states and about 110M parameters, minutes of work under qemu", m.Name, m.Hidden)
			}
			start := time.Now()
			dir := t.TempDir()
			first := writeSTShapeFolder(t, dir, &g, mi)
			for name, want := range m.Probe {
				got, ok := first[name]
				if !ok {
					t.Fatalf("probe of %q: no such parameter", name)
				}
				for i, w := range want {
					if got[i] != float32(w) {
						t.Fatalf("parameter %q element %d is %v; gen_st_shapes.py generated %v: the weight generators differ", name, i, got[i], float32(w))
					}
				}
			}
			pool, ok := map[string]nn.Pooling{"mean": nn.PoolMean, "cls": nn.PoolCLS}[m.Pooling]
			if !ok {
				t.Fatalf("golden file: pooling %q; want mean or cls", m.Pooling)
			}
			var worst float64
			// One encoder at a time, so that the larger shapes' weights are
			// not held twice. The BERT-base shape, whose loading takes
			// seconds, runs without prompts on the encoder already loaded
			// with its prompts cleared, as LoadEncoder's NoPrompts leaves
			// them; the smaller shapes load again with NoPrompts.
			var enc *Encoder
			var err error
			for _, opts := range []EncoderOptions{{}, {NoPrompts: true}} {
				if enc != nil && m.Hidden > 384 {
					enc.QueryPrompt, enc.DocPrompt = "", ""
				} else if enc, err = LoadEncoder(dir, opts); err != nil {
					t.Fatal(err)
				}
				qv, dv := "query", "passage"
				if opts.NoPrompts {
					qv, dv = "none", "none"
				}
				if qp, dp := g.Prompts[qv], g.Prompts[dv]; enc.QueryPrompt != qp || enc.DocPrompt != dp || !enc.Bi.Normalize ||
					enc.Dim() != m.Hidden || enc.Bi.Pooling != pool {
					t.Fatalf("NoPrompts %v: loaded prompts %q/%q, normalize %v, dimension %d, CLS pooling %v; want %q/%q, a Normalize module, %d, %s pooling",
						opts.NoPrompts, enc.QueryPrompt, enc.DocPrompt, enc.Bi.Normalize, enc.Dim(), enc.Bi.Pooling == nn.PoolCLS, qp, dp, m.Hidden, m.Pooling)
				}
				// The ids gen_st_shapes.py ran on are rrra's.
				tok := wordpiece.New(enc.Model.Vocab, enc.Model.Lower)
				for _, c := range []struct {
					what, variant, prompt string
					encode                func([]string, func(int)) ([]float32, error)
				}{{"queries", qv, enc.QueryPrompt, enc.Queries}, {"documents", dv, enc.DocPrompt, enc.Docs}} {
					for i, text := range g.Texts {
						got, want := tok.Encode(nil, c.prompt+text, 0), g.IDs[c.variant][i]
						if !slices.Equal(got, toInt32(want)) {
							t.Fatalf("ids of %q: rrra %v, gen_st_shapes.py %v", c.prompt+text, got, want)
						}
					}
					got, err := c.encode(g.Texts, nil)
					if err != nil {
						t.Fatal(err)
					}
					if vs := m.Vectors[c.variant]; len(vs) != len(g.Texts) {
						t.Fatalf("golden file: %d %q vectors for %d texts", len(vs), c.variant, len(g.Texts))
					}
					for i, want := range m.Vectors[c.variant] {
						if len(want) != m.Hidden {
							t.Fatalf("golden file: %q vector %d has %d components; want %d", c.variant, i, len(want), m.Hidden)
						}
						row := got[i*m.Hidden : (i+1)*m.Hidden]
						for j, w := range want {
							d := math.Abs(float64(row[j]) - w)
							worst = max(worst, d)
							if !(d <= tol) {
								t.Fatalf("%s with prompt %q: text %d component %d is %v; torch %v (difference %.3g, tolerance %g)",
									c.what, c.prompt, i, j, row[j], w, d, tol)
							}
						}
					}
				}
			}
			// The prompts matter: without them the torch vectors differ by
			// far more than the tolerance, so the comparison above tells
			// prompted from bare inputs.
			var moved float64
			for _, v := range []string{"query", "passage"} {
				for i := range g.Texts {
					for j, w := range m.Vectors[v][i] {
						moved = max(moved, math.Abs(w-m.Vectors["none"][i][j]))
					}
				}
			}
			if moved < 100*tol {
				t.Errorf("the prompts move the torch vectors by at most %.3g: too little to tell prompted from bare inputs", moved)
			}
			t.Logf("%s (hidden %d, %d layers, %s pooling): largest difference from torch %.3g over %d texts × 4 encodings; prompts move vectors by up to %.3g; %v",
				m.Name, m.Hidden, m.Layers, m.Pooling, worst, len(g.Texts), moved, time.Since(start).Round(time.Millisecond))
		})
	}
}

// toInt32 converts token ids read from JSON.
func toInt32(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}
