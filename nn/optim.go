package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/rrra/rrra/autograd"
)

// AdamWConfig holds AdamW's hyper-parameters; the zero value of a field
// means PyTorch's default (Beta1 0.9, Beta2 0.999, Eps 1e-8); WeightDecay 0
// means none.
type AdamWConfig struct {
	Beta1, Beta2, Eps float64
	WeightDecay       float64
}

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter), as
// PyTorch's torch.optim.AdamW computes it. Biases and LayerNorm weights are
// not decayed (NoDecay). Its moments live in two flat buffers of the
// parameters' layout, so a step is one pass over them.
type AdamW struct {
	cfg    AdamWConfig
	params *autograd.Params
	m, v   []float32
	decay  []bool // per parameter
	step   int
}

// NoDecay reports whether the parameter called name is exempt from weight
// decay: biases and LayerNorm parameters, as BERT's training recipes do.
func NoDecay(name string) bool {
	return strings.HasSuffix(name, ".bias") || strings.Contains(name, "LayerNorm") || strings.Contains(name, "layer_norm")
}

// NewAdamW returns an optimizer for every parameter in p. Add no parameter
// to p afterwards.
func NewAdamW(p *autograd.Params, cfg AdamWConfig) *AdamW {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	o := &AdamW{cfg: cfg, params: p, m: make([]float32, p.NumValues()), v: make([]float32, p.NumValues())}
	for i := 0; i < p.Len(); i++ {
		o.decay = append(o.decay, cfg.WeightDecay != 0 && !NoDecay(p.Name(i)))
	}
	return o
}

// Step applies one update with learning rate lr from the parameters'
// current gradients:
//
//	p ← p·(1 − lr·λ)                     (decayed parameters only)
//	m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//	p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)
func (o *AdamW) Step(lr float64) {
	o.step++
	b1, b2 := o.cfg.Beta1, o.cfg.Beta2
	bc1 := 1 - math.Pow(b1, float64(o.step))
	bc2 := math.Sqrt(1 - math.Pow(b2, float64(o.step)))
	stepSize := float32(lr / bc1)
	invBC2 := float32(1 / bc2)
	eps := float32(o.cfg.Eps)
	decay := float32(1 - lr*o.cfg.WeightDecay)
	fb1, fb2 := float32(b1), float32(b2)
	data, grad := o.params.Data(), o.params.Grad()
	for i := 0; i < o.params.Len(); i++ {
		lo := o.params.Offset(i)
		hi := lo + o.params.Var(i).Value.Numel()
		p, g, m, v := data[lo:hi], grad[lo:hi], o.m[lo:hi], o.v[lo:hi]
		d := float32(1)
		if o.decay[i] {
			d = decay
		}
		for j, gj := range g {
			m[j] = fb1*m[j] + (1-fb1)*gj
			v[j] = fb2*v[j] + (1-fb2)*gj*gj
			denom := float32(math.Sqrt(float64(v[j])))*invBC2 + eps
			p[j] = p[j]*d - stepSize*m[j]/denom
		}
	}
}

// StepCount returns how many steps have been taken.
func (o *AdamW) StepCount() int { return o.step }

// Moments returns the first and second moment buffers (the parameters'
// layout), for checkpoints.
func (o *AdamW) Moments() (m, v []float32) { return o.m, o.v }

// Restore sets the step count and copies saved moments in.
func (o *AdamW) Restore(step int, m, v []float32) error {
	if len(m) != len(o.m) || len(v) != len(o.v) {
		return fmt.Errorf("nn: AdamW.Restore: %d and %d moment values for %d parameters", len(m), len(v), len(o.m))
	}
	o.step = step
	copy(o.m, m)
	copy(o.v, v)
	return nil
}

// ClipGradNorm scales all gradients so that their global Euclidean norm is
// at most maxNorm, as torch.nn.utils.clip_grad_norm_ does (factor
// maxNorm/(norm + 1e-6) when that is below 1), and returns the norm before
// clipping. A NaN or infinite norm is returned unchanged and nothing is
// scaled; the caller should stop.
func ClipGradNorm(p *autograd.Params, maxNorm float64) float64 {
	var s float64
	for _, g := range p.Grad() {
		s += float64(g) * float64(g)
	}
	norm := math.Sqrt(s)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	if c := maxNorm / (norm + 1e-6); c < 1 {
		cf := float32(c)
		g := p.Grad()
		for i := range g {
			g[i] *= cf
		}
	}
	return norm
}

// LinearSchedule is linear warm-up from 0 to Peak over Warmup steps, then
// linear decay to 0 at Total steps (Hugging Face's
// get_linear_schedule_with_warmup).
type LinearSchedule struct {
	Peak          float64
	Warmup, Total int
}

// LR returns the learning rate for step (counted from 0).
func (s LinearSchedule) LR(step int) float64 {
	if step < s.Warmup {
		return s.Peak * float64(step) / float64(max(1, s.Warmup))
	}
	return s.Peak * max(0, float64(s.Total-step)/float64(max(1, s.Total-s.Warmup)))
}
