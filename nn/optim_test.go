package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// TestAdamWAgainstPyTorch replays testdata/gen_adamw.py: six steps of
// gradient clipping, AdamW (decay on the weight only) and the linear
// warm-up/decay schedule, compared with torch.optim.AdamW's parameters,
// moments and pre-clipping norms.
func TestAdamWAgainstPyTorch(t *testing.T) {
	f, err := tensor.ReadSafetensorsFile("testdata/adamw.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"dense.weight", "dense.bias", "LayerNorm.weight"}
	p := autograd.NewParams()
	for _, n := range names {
		v, err := p.Add(n, f.Tensors["init."+n].Shape)
		if err != nil {
			t.Fatal(err)
		}
		copy(v.Data(), f.Tensors["init."+n].Data)
	}
	opt := NewAdamW(p, AdamWConfig{WeightDecay: 0.1})
	sched := LinearSchedule{Peak: 1e-2, Warmup: 2, Total: 6}
	for s := 0; s < 6; s++ {
		for i, n := range names {
			copy(p.Var(i).Grad, f.Tensors[fmt.Sprintf("grad.%d.%s", s, n)].Data)
		}
		norm := ClipGradNorm(p, 1.0)
		if want := float64(f.Tensors[fmt.Sprintf("norm.%d", s)].Data[0]); math.Abs(norm-want) > 1e-5*want {
			t.Fatalf("step %d: gradient norm %v, PyTorch %v", s, norm, want)
		}
		opt.Step(sched.LR(s))
	}
	m, v := opt.Moments()
	for i, n := range names {
		lo := p.Offset(i)
		for _, c := range []struct {
			what string
			got  []float32
		}{{"final.", p.Var(i).Data()}, {"m.", m[lo:]}, {"v.", v[lo:]}} {
			want := f.Tensors[c.what+n].Data
			for j, w := range want {
				if d := math.Abs(float64(c.got[j]) - float64(w)); d > 1e-6*(1+math.Abs(float64(w))) {
					t.Errorf("%s%s[%d] = %v, PyTorch %v", c.what, n, j, c.got[j], w)
				}
			}
		}
	}
	if opt.StepCount() != 6 {
		t.Errorf("StepCount = %d", opt.StepCount())
	}
}

func TestLinearSchedule(t *testing.T) {
	s := LinearSchedule{Peak: 1, Warmup: 4, Total: 12}
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0}, {1, 0.25}, {4, 1}, {8, 0.5}, {12, 0}, {20, 0}} {
		if got := s.LR(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("LR(%d) = %v, want %v", c.step, got, c.want)
		}
	}
}

func TestNoDecayAndRestore(t *testing.T) {
	for name, want := range map[string]bool{
		"encoder.layer.0.attention.self.query.weight": false, "encoder.layer.0.output.dense.bias": true,
		"embeddings.LayerNorm.weight": true, "embeddings.word_embeddings.weight": false,
	} {
		if NoDecay(name) != want {
			t.Errorf("NoDecay(%q) = %v", name, !want)
		}
	}
	p := autograd.NewParams()
	p.Add("w", tensor.S(3))
	o := NewAdamW(p, AdamWConfig{})
	if err := o.Restore(5, make([]float32, 2), make([]float32, 3)); err == nil {
		t.Error("Restore accepted moments of the wrong size")
	}
	if err := o.Restore(5, []float32{1, 2, 3}, []float32{4, 5, 6}); err != nil || o.StepCount() != 5 {
		t.Errorf("Restore: %v, step %d", err, o.StepCount())
	}
}
