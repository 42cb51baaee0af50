package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

func toIDs(t *tensor.Tensor) []int32 {
	ids := make([]int32, len(t.Data))
	for i, v := range t.Data {
		ids[i] = int32(v)
	}
	return ids
}

// TestBertAgainstPyTorch loads testdata/tinybert and tinybert64 (written by
// gen_bert.py with the bert. prefix and a masked-LM head to skip), runs the golden batch
// and compares the last hidden states and both poolings (1e-4 absolute) and
// the gradients of the in-batch InfoNCE loss with respect to every
// parameter (1e-3 of each tensor's largest magnitude), on every kernel tier.
func TestBertAgainstPyTorch(t *testing.T) {
	for _, c := range []struct{ dir, golden string }{
		{"testdata/tinybert", "testdata/bert_golden.safetensors"},     // hidden 32, 2 heads
		{"testdata/tinybert64", "testdata/bert64_golden.safetensors"}, // hidden 64, 4 heads
	} {
		g, err := tensor.ReadSafetensorsFile(c.golden)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			forEachTier(t, func(t *testing.T) {
				m, notices, err := LoadModel(c.dir)
				if err != nil {
					t.Fatal(err)
				}
				if len(notices) != 1 || !strings.Contains(notices[0], `ignored 2 tensors of the "cls" head`) {
					t.Errorf("notices %q", notices)
				}
				checkBertGolden(t, m.Bert, g)
			})
		})
	}
}

func checkBertGolden(t *testing.T, m *Bert, g *tensor.SafeFile) {
	mask := g.Tensors["input.mask"]
	tp := autograd.NewTape(1)
	h := m.Forward(tp, toIDs(g.Tensors["input.ids"]), toIDs(g.Tensors["input.types"]), mask)
	cls := Pool(tp, h, mask, PoolCLS, false)
	mean := Pool(tp, h, mask, PoolMean, false)
	emb := tp.L2Normalize(mean, 1e-12)
	B := mask.Shape.Dim(0)
	selQ, selD := tensor.New(tensor.S(B/2, B)), tensor.New(tensor.S(B/2, B))
	for i := 0; i < B/2; i++ {
		selQ.Data[i*B+i], selD.Data[i*B+B/2+i] = 1, 1
	}
	scores := tp.Scale(tp.MatMul(tp.MatMul(tp.Const(selQ), emb, false, false), tp.MatMul(tp.Const(selD), emb, false, false), false, true), 1/0.05)
	loss := tp.CrossEntropy(scores, []int32{0, 1})
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []float32
	}{{"out.hidden", h.Data()}, {"out.cls", cls.Data()}, {"out.mean", mean.Data()}, {"out.loss", loss.Data()}} {
		want := g.Tensors[c.name].Data
		for i, w := range want {
			if d := math.Abs(float64(c.got[i]) - float64(w)); d > 1e-4 {
				t.Fatalf("%s[%d] = %v, PyTorch %v", c.name, i, c.got[i], w)
			}
		}
	}
	p := m.Params
	for i := 0; i < p.Len(); i++ {
		name := p.Name(i)
		got := p.Var(i).Grad
		if name == "embeddings.word_embeddings.weight" {
			rows := toIDs(g.Tensors["grad_rows_ids"])
			want := g.Tensors["grad_rows."+name].Data
			c := m.Config.HiddenSize
			used := map[int32]bool{}
			for r, id := range rows {
				used[id] = true
				compareGrad(t, name, got[int(id)*c:int(id+1)*c], want[r*c:(r+1)*c])
			}
			for id := 0; id < m.Config.VocabSize; id++ {
				if used[int32(id)] {
					continue
				}
				for _, v := range got[id*c : (id+1)*c] {
					if v != 0 {
						t.Fatalf("%s: row %d (not in the batch) has gradient %v", name, id, v)
					}
				}
			}
			continue
		}
		want := g.Tensors["grad."+name]
		if want == nil {
			t.Fatalf("fixture lacks the gradient of %s", name)
		}
		compareGrad(t, name, got, want.Data)
	}
}

// compareGrad requires max |got − want| ≤ 1e-3 · max |want|; a tensor whose
// reference gradient is zero up to rounding (attention key biases: softmax
// ignores a constant shift) must be near zero too.
func compareGrad(t *testing.T, name string, got, want []float32) {
	t.Helper()
	scale, worst, at := 0.0, 0.0, 0
	for i, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
		if d := math.Abs(float64(got[i]) - float64(w)); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	bound := 1e-3 * scale
	if strings.Contains(name, "attention.self.key.bias") {
		bound = 1e-6
	}
	if !(worst <= bound) {
		t.Errorf("%s: element %d is %v, PyTorch %v (|error| %.3g > %.3g)", name, at, got[at], want[at], worst, bound)
	}
}

// TestModelRoundTrip saves a loaded model and loads it back: same config,
// same parameters bit for bit, same vocabulary; the saved directory has no
// prefix and no ignored head.
func TestModelRoundTrip(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	m2, notices, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 0 {
		t.Errorf("notices on our own directory: %v", notices)
	}
	if m2.Bert.Config.HiddenSize != m.Bert.Config.HiddenSize || m2.Bert.Config.LayerNormEps != m.Bert.Config.LayerNormEps || m2.Lower != m.Lower || m2.Vocab.Len() != m.Vocab.Len() {
		t.Errorf("config or tokenizer changed: %+v", m2.Bert.Config)
	}
	a, b := m.Bert.Params.Data(), m2.Bert.Params.Data()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("parameter value %d changed: %v → %v", i, a[i], b[i])
		}
	}
	f, err := tensor.ReadSafetensorsFile(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Names) != m.Bert.Params.Len() || strings.HasPrefix(f.Names[0], "bert.") {
		t.Errorf("saved tensors: %d, first %q", len(f.Names), f.Names[0])
	}
}

// TestModelDirErrors checks that broken model directories are refused with
// errors naming the file and the field or tensor.
func TestModelDirErrors(t *testing.T) {
	src, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	if err := src.Save(good); err != nil {
		t.Fatal(err)
	}
	copyDir := func(t *testing.T) string {
		dir := t.TempDir()
		for _, f := range []string{ConfigFile, WeightsFile, VocabFile, TokenizerConfigFile} {
			b, err := os.ReadFile(filepath.Join(good, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		return dir
	}
	editConfig := func(from, to string) func(dir string) {
		return func(dir string) {
			p := filepath.Join(dir, ConfigFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), from, to, 1)), 0o644)
		}
	}
	saveWith := func(edit func(p *autograd.Params) []tensor.Named) func(dir string) {
		return func(dir string) {
			tensor.WriteSafetensorsFile(filepath.Join(dir, WeightsFile), edit(src.Bert.Params), nil)
		}
	}
	all := func(p *autograd.Params) []tensor.Named {
		var out []tensor.Named
		for i := 0; i < p.Len(); i++ {
			out = append(out, tensor.Named{Name: p.Name(i), Tensor: &p.Var(i).Value})
		}
		return out
	}
	cases := []struct {
		name string
		edit func(dir string)
		want string
	}{
		{"missing field", editConfig(`"hidden_size": 32,`, ``), "config.json: field hidden_size is missing"},
		{"heads do not divide", editConfig(`"num_attention_heads": 2`, `"num_attention_heads": 3`), "config.json: field hidden_size 32 is not a multiple of num_attention_heads 3"},
		{"wrong type", editConfig(`"hidden_size": 32,`, `"hidden_size": "32",`), "config.json: field hidden_size: want int, have string"},
		{"unsupported activation", editConfig(`"hidden_act": "gelu"`, `"hidden_act": "relu"`), `config.json: field hidden_act is "relu"`},
		{"negative eps", editConfig(`"layer_norm_eps": 1e-12`, `"layer_norm_eps": -1`), "field layer_norm_eps is -1"},
		{"more layers than stored", editConfig(`"num_hidden_layers": 2`, `"num_hidden_layers": 3`), `model.safetensors: tensor "encoder.layer.2.attention.self.query.weight" is missing`},
		{"fewer layers than stored", editConfig(`"num_hidden_layers": 2`, `"num_hidden_layers": 1`), `tensor "encoder.layer.1.attention.output.LayerNorm.bias" is not a parameter of a 1-layer BERT`},
		{"wrong shape", editConfig(`"intermediate_size": 64`, `"intermediate_size": 65`), `tensor "encoder.layer.0.intermediate.dense.bias" has shape [64]; config.json implies [65]`},
		{"missing tensor", saveWith(func(p *autograd.Params) []tensor.Named { return all(p)[1:] }), "is missing"},
		{"NaN weight", saveWith(func(p *autograd.Params) []tensor.Named {
			n := all(p)
			bad := n[0].Tensor.Clone()
			bad.Data[3] = float32(math.NaN())
			n[0].Tensor = bad
			return n
		}), "holds NaN at element 3"},
		{"vocab size", func(dir string) {
			os.WriteFile(filepath.Join(dir, VocabFile), []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n"), 0o644)
		}, "vocab.txt: 4 tokens, but config.json has vocab_size 30522"},
		{"vocab without UNK", func(dir string) { os.WriteFile(filepath.Join(dir, VocabFile), []byte("[PAD]\n[CLS]\n[SEP]\n"), 0o644) }, "vocab.txt: the vocabulary has no [UNK] token"},
		{"truncated weights", func(dir string) {
			p := filepath.Join(dir, WeightsFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-10], 0o644)
		}, "model.safetensors: malformed safetensors"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t)
			c.edit(dir)
			_, _, err := LoadModel(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestForwardErrors(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape(1)
	mask := tensor.New(tensor.S(2, 80))
	m.Bert.Forward(tp, make([]int32, 160), nil, mask)
	if err := tp.Err(); err == nil || !strings.Contains(err.Error(), "exceed max_position_embeddings 64") {
		t.Errorf("long sequence: %v", err)
	}
	tp = autograd.NewTape(1)
	mask = tensor.New(tensor.S(1, 3))
	mask.Fill(1)
	m.Bert.Forward(tp, []int32{101, 40000, 102}, nil, mask)
	if err := tp.Err(); err == nil || !strings.Contains(err.Error(), "id 40000 at position 1 is outside the table's 30522 rows") {
		t.Errorf("bad id: %v", err)
	}
}

// TestPositionIDsBufferSkipped loads a directory whose weights carry the
// int64 embeddings.position_ids buffer of older checkpoints.
func TestPositionIDsBufferSkipped(t *testing.T) {
	raw, err := os.ReadFile("testdata/tinybert/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	body := raw[8+n:]
	header["bert.embeddings.position_ids"] = json.RawMessage(fmt.Sprintf(`{"dtype":"I64","shape":[1,64],"data_offsets":[%d,%d]}`, len(body), len(body)+512))
	hj, _ := json.Marshal(header)
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(hj)))
	out.Write(hj)
	out.Write(body)
	out.Write(make([]byte, 512))
	dir := t.TempDir()
	for _, f := range []string{ConfigFile, VocabFile, TokenizerConfigFile} {
		b, _ := os.ReadFile(filepath.Join("testdata/tinybert", f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, WeightsFile), out.Bytes(), 0o644)
	_, notices, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 2 || !strings.Contains(notices[0], "skipped the bert.embeddings.position_ids buffer") {
		t.Errorf("notices %q", notices)
	}
}

func TestBiEncoderDirectories(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewBert(m.Bert.Config, 5)
	for _, shared := range []bool{true, false} {
		b := &BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: PoolMean, Normalize: true, Temperature: 0.05}
		if !shared {
			b.Doc = other
		}
		dir := t.TempDir()
		if err := SaveBiEncoder(dir, b, m); err != nil {
			t.Fatal(err)
		}
		got, _, notices, err := LoadBiEncoder(dir)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Query == got.Doc) != shared || got.Pooling != PoolMean || !got.Normalize || got.Temperature != 0.05 || len(notices) != 0 {
			t.Fatalf("shared=%v: loaded %+v, notices %v", shared, got, notices)
		}
		for _, pair := range [][2]*Bert{{b.Query, got.Query}, {b.Doc, got.Doc}} {
			a, c := pair[0].Params.Data(), pair[1].Params.Data()
			for i := range a {
				if a[i] != c[i] {
					t.Fatalf("shared=%v: a tower's parameter %d changed", shared, i)
				}
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "query", ConfigFile)); (err == nil) == shared {
			t.Errorf("shared=%v: query/ subdirectory present=%v", shared, err == nil)
		}
	}
	// A plain Hugging Face directory loads as a shared, CLS-pooled bi-encoder.
	b, _, _, err := LoadBiEncoder("testdata/tinybert")
	if err != nil || b.Query != b.Doc || b.Pooling != PoolCLS {
		t.Fatalf("plain directory: %+v, %v", b, err)
	}
}

// TestNewBertInit checks BERT's initialisation parameter by parameter:
// LayerNorm weights 1, biases (LayerNorm's included) 0, every other weight
// drawn from N(0, initializer_range), judged by its sample mean and
// standard deviation.
func TestNewBertInit(t *testing.T) {
	cfg := BertConfig{VocabSize: 500, HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 2,
		IntermediateSize: 64, HiddenAct: "gelu", MaxPositionEmbeddings: 64, TypeVocabSize: 2,
		LayerNormEps: 1e-12, InitializerRange: 0.02}
	m, err := NewBert(cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < m.Params.Len(); i++ {
		name, v := m.Params.Name(i), m.Params.Var(i).Value.Data
		var sum, sq float64
		for _, x := range v {
			sum += float64(x)
			sq += float64(x) * float64(x)
		}
		n := float64(len(v))
		mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
		switch {
		case strings.HasSuffix(name, "LayerNorm.weight"):
			if mean != 1 || std != 0 {
				t.Errorf("%s: mean %v std %v, want all ones", name, mean, std)
			}
		case strings.HasSuffix(name, ".bias"):
			if sq != 0 {
				t.Errorf("%s: not all zero", name)
			}
		default:
			if math.Abs(mean) > 4*0.02/math.Sqrt(n) || math.Abs(std-0.02) > 0.002+4*0.02/math.Sqrt(2*n) {
				t.Errorf("%s: mean %v std %v over %v values, want N(0, 0.02)", name, mean, std, n)
			}
		}
	}
}

func TestPreset(t *testing.T) {
	for _, tc := range []struct {
		name                string
		hidden, layers, ffn int
	}{{"mini", 64, 2, 256}, {"tiny", 128, 2, 512}, {"small", 256, 4, 1024}} {
		c, err := Preset(tc.name, 3000)
		if err != nil || c.HiddenSize != tc.hidden || c.NumHiddenLayers != tc.layers || c.IntermediateSize != tc.ffn || c.VocabSize != 3000 {
			t.Errorf("%s: %+v %v", tc.name, c, err)
		}
	}
	if _, err := Preset("base", 3000); err == nil {
		t.Error("unknown preset accepted")
	}
	if _, err := Preset("tiny", 0); err == nil {
		t.Error("vocabulary of 0 accepted")
	}
}
