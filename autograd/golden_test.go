package autograd

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// TestGoldenEncoder rebuilds, from this package's ops, the two-layer post-LN
// encoder and mean-pooled InfoNCE loss that testdata/gen_golden.py computed
// with PyTorch 1.13, and compares the forward values (1e-4 absolute) and
// every gradient (1e-3 relative to the tensor's largest magnitude) under
// every kernel tier this CPU has.
func TestGoldenEncoder(t *testing.T) {
	f, err := tensor.ReadSafetensorsFile("testdata/golden.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		B, T, C, H, FF, L int
		Eps, Tau          float64
	}
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &cfg); err != nil {
		t.Fatalf("fixture config: %v", err)
	}
	for _, tier := range kernels.Tiers() {
		t.Run(tier, func(t *testing.T) {
			restore, ok := kernels.Use(tier)
			if !ok {
				_, why := kernels.Supported(tier)
				t.Skipf("tier %s not run: %s", tier, why)
			}
			defer restore()
			checkGolden(t, f, cfg.B, cfg.T, cfg.C, cfg.H, cfg.L, float32(cfg.Eps), float32(cfg.Tau))
		})
	}
}

func checkGolden(t *testing.T, f *tensor.SafeFile, B, T, C, H, L int, eps, tau float32) {
	p := NewParams()
	weight := func(name string) *Var {
		v, ok := p.Lookup(name)
		if ok {
			return v
		}
		src, found := f.Tensors[name]
		if !found {
			t.Fatalf("fixture lacks %s", name)
		}
		v, err := p.Add(name, src.Shape)
		if err != nil {
			t.Fatal(err)
		}
		copy(v.Data(), src.Data)
		return v
	}
	// Create every parameter first, so the flat buffers stop moving.
	for l := 0; l < L; l++ {
		for _, n := range encoderParamNames(l) {
			weight(n)
		}
	}
	tp := NewTape(1)
	x := tp.Leaf(f.Tensors["input.x"])
	mask := f.Tensors["input.mask"]
	additive := tensor.New(mask.Shape)
	for i, m := range mask.Data {
		additive.Data[i] = (1 - m) * -1e9
	}
	linear := func(in *Var, name string) *Var {
		return tp.Add(tp.MatMul(in, weight(name+".weight"), false, true), weight(name+".bias"))
	}
	h := x
	for l := 0; l < L; l++ {
		pre := fmt.Sprintf("encoder.layer.%d.", l)
		q := tp.SplitHeads(linear(h, pre+"attention.self.query"), H)
		k := tp.SplitHeads(linear(h, pre+"attention.self.key"), H)
		v := tp.SplitHeads(linear(h, pre+"attention.self.value"), H)
		ctx := tp.MergeHeads(tp.Attention(q, k, v, additive, float32(1/math.Sqrt(float64(C/H)))))
		h = tp.LayerNorm(tp.Add(h, linear(ctx, pre+"attention.output.dense")),
			weight(pre+"attention.output.LayerNorm.weight"), weight(pre+"attention.output.LayerNorm.bias"), eps)
		ff := linear(tp.GELU(linear(h, pre+"intermediate.dense")), pre+"output.dense")
		h = tp.LayerNorm(tp.Add(h, ff), weight(pre+"output.LayerNorm.weight"), weight(pre+"output.LayerNorm.bias"), eps)
	}
	pooled := tp.MeanPool(h, mask)
	emb := tp.L2Normalize(pooled, eps)
	// Queries are the first half of the batch, documents the second:
	// select them with constant 0/1 matrices.
	selQ, selD := tensor.New(tensor.S(B/2, B)), tensor.New(tensor.S(B/2, B))
	for i := 0; i < B/2; i++ {
		selQ.Data[i*B+i], selD.Data[i*B+B/2+i] = 1, 1
	}
	qe := tp.MatMul(tp.Const(selQ), emb, false, false)
	de := tp.MatMul(tp.Const(selD), emb, false, false)
	scores := tp.Scale(tp.MatMul(qe, de, false, true), 1/tau)
	targets := make([]int32, B/2)
	for i := range targets {
		targets[i] = int32(i)
	}
	loss := tp.CrossEntropy(scores, targets)
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []float32
	}{{"out.hidden", h.Data()}, {"out.pooled", pooled.Data()}, {"out.scores", scores.Data()}, {"out.loss", loss.Data()}} {
		want := f.Tensors[c.name].Data
		worst, at := maxDiff(c.got, want)
		if worst > 1e-4 {
			t.Errorf("%s: element %d is %v, PyTorch %v (|error| %.3g > 1e-4)", c.name, at, c.got[at], want[at], worst)
		}
	}
	grads := map[string][]float32{"grad.x": x.Grad, "grad.hidden": h.Grad}
	for i := 0; i < p.Len(); i++ {
		grads["grad."+p.Name(i)] = p.Var(i).Grad
	}
	// The key biases' gradients are zero in exact arithmetic (a bias on the
	// keys shifts each row of scores by a constant, which softmax ignores),
	// so both sides hold rounding noise there and a relative bound means
	// nothing: a tensor whose reference is below 1e-5 of the largest
	// gradient anywhere must itself stay below that.
	global := 0.0
	for name := range grads {
		for _, w := range f.Tensors[name].Data {
			global = math.Max(global, math.Abs(float64(w)))
		}
	}
	for name, got := range grads {
		want := f.Tensors[name]
		if want == nil {
			t.Fatalf("fixture lacks %s", name)
		}
		scale := 0.0
		for _, w := range want.Data {
			scale = math.Max(scale, math.Abs(float64(w)))
		}
		worst, at := maxDiff(got, want.Data)
		if scale < 1e-5*global {
			if worst > 1e-5*global {
				t.Errorf("%s: PyTorch's gradient is zero up to rounding, ours has %v at %d", name, got[at], at)
			}
			continue
		}
		if worst > 1e-3*scale {
			t.Errorf("%s: element %d is %v, PyTorch %v (|error| %.3g > 1e-3 × %.3g)", name, at, got[at], want.Data[at], worst, scale)
		}
	}
	if len(grads) != 2+16*L {
		t.Errorf("compared %d gradients, want %d", len(grads), 2+16*L)
	}
}

func encoderParamNames(l int) []string {
	pre := fmt.Sprintf("encoder.layer.%d.", l)
	var names []string
	for _, s := range []string{"attention.self.query", "attention.self.key", "attention.self.value",
		"attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"} {
		names = append(names, pre+s+".weight", pre+s+".bias")
	}
	return names
}

func maxDiff(got, want []float32) (float64, int) {
	worst, at := 0.0, 0
	if len(got) != len(want) {
		return math.Inf(1), 0
	}
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			return math.Inf(1), i
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}
