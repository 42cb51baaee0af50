package nn

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/kernels/kernelstest"
	"github.com/rrra/rrra/tensor"
)

// forwardCLS runs a batch through m without gradients and returns the last
// hidden states.
func forwardHidden(t *testing.T, m *Bert) []float32 {
	t.Helper()
	const b, n = 3, 12
	ids := make([]int32, b*n)
	mask := tensor.New(tensor.S(b, n))
	for i := range ids {
		ids[i] = int32(1000 + (i*7919)%20000)
		if i%n < n-i/n*3 { // rows of 12, 9 and 6 tokens
			mask.Data[i] = 1
		}
	}
	tp := autograd.NewTape(1)
	tp.NoGrad(true)
	h := m.Forward(tp, ids, nil, mask)
	if err := tp.Err(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), h.Data()...)
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestQuantizedModel quantizes the tiny test model, checks the int8 forward
// pass stays close to float32 and is identical on every integer tier, saves
// the quantized folder, and checks that loading it gives the same int8 and
// float32 (dequantized) outputs bit for bit, refuses training, and that the
// file holds I8 weights with the scheme in its metadata.
func TestQuantizedModel(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	ref := forwardHidden(t, m.Bert)
	if err := m.Bert.SetPrecision(Int8); err != nil {
		t.Fatal(err)
	}
	if !m.Bert.Quantized() || m.Bert.Precision() != Int8 {
		t.Fatal("SetPrecision(Int8) did not quantize")
	}
	q := forwardHidden(t, m.Bert)
	if c := cosine(ref, q); c < 0.99 || c == 1 {
		t.Errorf("int8 hidden states' cosine to float32 is %v; want close to 1 but not equal", c)
	}
	kernelstest.ForEachInt8Tier(t, func(t *testing.T) {
		got := forwardHidden(t, m.Bert)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(q[i]) {
				t.Fatalf("hidden state %d is %v on this tier, %v on the default", i, got[i], q[i])
			}
		}
	})
	if err := m.Bert.SetPrecision(FP32); err != nil {
		t.Fatal(err)
	}
	deq := forwardHidden(t, m.Bert)

	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	f, err := tensor.ReadSafetensorsFileWith(filepath.Join(dir, WeightsFile), tensor.DecodeOptions{Int8: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata[QuantizationKey] != QuantizationScheme || f.DTypes["encoder.layer.1.output.dense.weight"] != "I8" ||
		f.Tensors["encoder.layer.1.output.dense.weight_scale"] == nil || f.DTypes["encoder.layer.1.output.dense.bias"] != "F32" {
		t.Fatalf("quantized file: metadata %v, dtypes %v", f.Metadata, f.DTypes)
	}
	m2, _, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m2.Bert.Quantized() || m2.Bert.Precision() != Int8 {
		t.Fatal("a quantized folder did not load as int8")
	}
	for name, want := range map[string][]float32{"int8": q, "fp32": deq} {
		p, _ := ParsePrecision(name)
		if err := m2.Bert.SetPrecision(p); err != nil {
			t.Fatal(err)
		}
		got := forwardHidden(t, m2.Bert)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s after loading: hidden state %d is %v, before saving %v", name, i, got[i], want[i])
			}
		}
	}
	tp := autograd.NewTape(1)
	mask := tensor.New(tensor.S(1, 3))
	mask.Fill(1)
	m2.Bert.Forward(tp, []int32{101, 2000, 102}, nil, mask)
	if !errors.Is(tp.Err(), ErrQuantizedTrain) {
		t.Errorf("a recording forward pass through a quantized model: %v, want ErrQuantizedTrain", tp.Err())
	}
	// Plain readers refuse the I8 tensors rather than misread them.
	if _, err := tensor.ReadSafetensorsFile(filepath.Join(dir, WeightsFile)); err == nil {
		t.Error("a reader not asking for I8 read a quantized file")
	}
}

// TestBF16Model checks the bfloat16 forward pass: close to float32 but not
// equal, the caller's tape left as it was, a recording pass refused unless
// the tape multiplies in bfloat16 too (so backward matches forward).
func TestBF16Model(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	ref := forwardHidden(t, m.Bert)
	if p, err := ParsePrecision("bf16"); err != nil || p != BF16 || p.String() != "bf16" {
		t.Fatalf("ParsePrecision(bf16) = %v, %v", p, err)
	}
	if err := m.Bert.SetPrecision(BF16); err != nil {
		t.Fatal(err)
	}
	if m.Bert.Quantized() || m.Bert.Precision() != BF16 {
		t.Fatalf("SetPrecision(BF16): quantized %v, precision %v", m.Bert.Quantized(), m.Bert.Precision())
	}
	got := forwardHidden(t, m.Bert)
	if c := cosine(ref, got); c < 0.999 || c == 1 {
		t.Errorf("bf16 hidden states' cosine to float32 is %v; want close to 1 but not equal", c)
	}
	mask := tensor.New(tensor.S(1, 3))
	mask.Fill(1)
	tp := autograd.NewTape(1)
	tp.NoGrad(true)
	m.Bert.Forward(tp, []int32{101, 2000, 102}, nil, mask)
	if tp.Err() != nil || tp.BF16() {
		t.Errorf("inference tape after a bf16 pass: err %v, SetBF16 left %v", tp.Err(), tp.BF16())
	}
	tp = autograd.NewTape(1)
	m.Bert.Forward(tp, []int32{101, 2000, 102}, nil, mask)
	if err := tp.Err(); err == nil || !strings.Contains(err.Error(), "SetBF16") {
		t.Errorf("a recording bf16 pass on a float32 tape: %v, want a refusal naming SetBF16", err)
	}
	tp = autograd.NewTape(1)
	tp.SetBF16(true)
	m.Bert.Forward(tp, []int32{101, 2000, 102}, nil, mask)
	if err := tp.Err(); err != nil {
		t.Errorf("a recording bf16 pass on a bf16 tape: %v", err)
	}
	if _, err := ParsePrecision("fp16"); err == nil || !strings.Contains(err.Error(), "want fp32, int8 or bf16") {
		t.Errorf("ParsePrecision(fp16): %v", err)
	}
}

// TestQuantizedFolderErrors checks that broken quantized files are refused
// with errors naming the file and the tensor.
func TestQuantizedFolderErrors(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Bert.Quantize(); err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	f, err := tensor.ReadSafetensorsFileWith(filepath.Join(good, WeightsFile), tensor.DecodeOptions{Int8: true})
	if err != nil {
		t.Fatal(err)
	}
	named := func(edit func(n map[string]tensor.Named)) []tensor.Named {
		n := map[string]tensor.Named{}
		for _, name := range f.Names {
			if q := f.Int8[name]; q != nil {
				c := *q
				c.Data = append([]int8(nil), q.Data...)
				n[name] = tensor.Named{Name: name, Int8: &c}
			} else {
				n[name] = tensor.Named{Name: name, Tensor: f.Tensors[name].Clone()}
			}
		}
		edit(n)
		var out []tensor.Named
		for _, v := range n {
			out = append(out, v)
		}
		return out
	}
	const w = "encoder.layer.0.intermediate.dense.weight"
	scheme := map[string]string{QuantizationKey: QuantizationScheme}
	cases := []struct {
		name string
		edit func(n map[string]tensor.Named)
		meta map[string]string
		want string
	}{
		{"no scheme", func(map[string]tensor.Named) {}, nil, `tensor "encoder.layer.0.attention.output.dense.weight" is I8, but the file's metadata has no rrra_quantization entry`},
		{"other scheme", func(map[string]tensor.Named) {}, map[string]string{QuantizationKey: "int4"}, `field __metadata__.rrra_quantization is "int4"`},
		{"missing scale", func(n map[string]tensor.Named) { delete(n, w+"_scale") }, scheme, `tensor "` + w + `_scale" is missing`},
		{"short scale", func(n map[string]tensor.Named) {
			n[w+"_scale"] = tensor.Named{Name: w + "_scale", Tensor: tensor.New(tensor.S(3))}
		}, scheme, `tensor "` + w + `_scale" has 3 values`},
		{"value out of range", func(n map[string]tensor.Named) { n[w].Int8.Data[5] = 100 }, scheme, "is 100, outside [-64, 64]"},
		{"zero scale", func(n map[string]tensor.Named) { n[w+"_scale"].Tensor.Data[2] = 0 }, scheme, "scale 2 is 0"},
		{"float weight in a quantized file", func(n map[string]tensor.Named) {
			n[w] = tensor.Named{Name: w, Tensor: tensor.New(tensor.S(64, 32))}
		}, scheme, `tensor "` + w + `" is F32; a quantized model stores it as I8`},
		{"I8 LayerNorm", func(n map[string]tensor.Named) {
			const ln = "encoder.layer.0.output.LayerNorm.weight"
			n[ln] = tensor.Named{Name: ln, Int8: &tensor.Int8Tensor{Shape: tensor.S(32), Data: make([]int8, 32)}}
		}, scheme, `only the attention and feed-forward weights are quantized`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{ConfigFile, VocabFile, TokenizerConfigFile} {
				b, err := os.ReadFile(filepath.Join(good, name))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
			if err := tensor.WriteSafetensorsFile(filepath.Join(dir, WeightsFile), named(c.edit), c.meta); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadModel(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), WeightsFile) {
				t.Errorf("error %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}
