package autograd

import (
	"encoding/json"
	"math"
	"testing"

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
	forEachTier(t, func(t *testing.T) {
		checkGolden(t, f, cfg.B, cfg.T, cfg.C, cfg.H, cfg.L, float32(cfg.Eps), float32(cfg.Tau))
	})
}

func checkGolden(t *testing.T, f *tensor.SafeFile, B, T, C, H, L int, eps, tau float32) {
	p := NewParams()
	for l := 0; l < L; l++ {
		for _, n := range encoderParamNames(l) {
			src, found := f.Tensors[n]
			if !found {
				t.Fatalf("fixture lacks %s", n)
			}
			v, err := p.Add(n, src.Shape)
			if err != nil {
				t.Fatal(err)
			}
			copy(v.Data(), src.Data)
		}
	}
	tp := NewTape(1)
	x := tp.Leaf(f.Tensors["input.x"])
	e := encoder{p: p, heads: H, layers: L, eps: eps, tau: tau}
	h, pooled, scores, loss := e.step(tp, x, f.Tensors["input.mask"])
	tp.Retain(h) // its gradient is compared below
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
