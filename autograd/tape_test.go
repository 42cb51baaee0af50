package autograd

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

func TestShapeErrorsAreRecorded(t *testing.T) {
	g := tensor.NewRNG(1)
	cases := []struct {
		name  string
		build func(t *Tape) *Var
		want  string
	}{
		{"MatMul", func(t *Tape) *Var { return t.MatMul(t.Const(randT(g, 2, 3)), t.Const(randT(g, 4, 5)), false, false) }, "MatMul: shape mismatch: inner dimensions differ"},
		{"Add", func(t *Tape) *Var { return t.Add(t.Const(randT(g, 2, 3)), t.Const(randT(g, 2))) }, "Add: shape mismatch"},
		{"LayerNorm", func(t *Tape) *Var {
			return t.LayerNorm(t.Const(randT(g, 2, 3)), t.Const(randT(g, 4)), t.Const(randT(g, 3)), 1e-12)
		}, "LayerNorm: shape mismatch"},
		{"Embedding id", func(t *Tape) *Var { return t.Embedding(t.Const(randT(g, 4, 2)), []int32{1, 4}) }, "id 4 at position 1 is outside the table's 4 rows"},
		{"CrossEntropy target", func(t *Tape) *Var { return t.CrossEntropy(t.Const(randT(g, 2, 3)), []int32{0, 3}) }, "target 3 of row 1"},
		{"Attention", func(t *Tape) *Var {
			return t.Attention(t.Const(randT(g, 1, 2, 3, 4)), t.Const(randT(g, 1, 2, 3, 5)), t.Const(randT(g, 1, 2, 3, 5)), nil, 1)
		}, "Attention: shape mismatch"},
		{"MeanPool empty sequence", func(t *Tape) *Var {
			return t.MeanPool(t.Const(randT(g, 1, 2, 3)), tensor.New(tensor.S(1, 2)))
		}, "sequence 0 has no token"},
		{"Softmax mask", func(t *Tape) *Var { return t.Softmax(t.Const(randT(g, 3, 4)), tensor.New(tensor.S(2, 4))) }, "Softmax: shape mismatch"},
		{"Dropout p", func(t *Tape) *Var { return t.Dropout(t.Const(randT(g, 3)), 1) }, "outside [0, 1)"},
	}
	for _, c := range cases {
		tp := NewTape(1)
		out := c.build(tp)
		// Later operations are skipped and the first error is kept.
		loss := tp.Sum(tp.GELU(out))
		err := tp.Backward(loss)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Backward error %v, want one containing %q", c.name, err, c.want)
		}
		if tp.Err() != err {
			t.Errorf("%s: Err() = %v, Backward returned %v", c.name, tp.Err(), err)
		}
	}
}

func TestNotFiniteLossNamesTheOp(t *testing.T) {
	tp := NewTape(1)
	x := tensor.New(tensor.S(2, 3))
	x.Data = []float32{1, 2, 3, 4, 5, 6}
	w := tensor.New(tensor.S(3))
	w.Data = []float32{1, float32(math.Inf(1)), 1}
	h := tp.Tanh(tp.Leaf(x))    // finite
	y := tp.Mul(h, tp.Const(w)) // +Inf appears here
	z := tp.Sub(y, tp.Const(w)) // Inf − Inf = NaN
	err := tp.Backward(tp.Mean(z))
	if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), "Mul (record 1)") {
		t.Fatalf("error %v, want ErrNotFinite naming Mul (record 1)", err)
	}
}

func TestDropout(t *testing.T) {
	x := tensor.New(tensor.S(100, 100))
	x.Fill(1)
	run := func(seed uint64) (*Tape, *Var, *Var) {
		tp := NewTape(seed)
		in := tp.Leaf(x)
		return tp, in, tp.Dropout(in, 0.25)
	}
	tp, in, y := run(5)
	kept := 0
	for _, v := range y.Data() {
		switch v {
		case 0:
		case 1 / 0.75:
			kept++
		default:
			t.Fatalf("dropout output %v is neither 0 nor 1/(1−p)", v)
		}
	}
	// 10,000 Bernoulli(0.75) draws: 7,500 ± 4.3σ.
	if kept < 7315 || kept > 7685 {
		t.Errorf("kept %d of 10000 at p=0.25", kept)
	}
	if err := tp.Backward(tp.Sum(y)); err != nil {
		t.Fatal(err)
	}
	for i, g := range in.Grad {
		if g != y.Data()[i] { // x = 1, so dy/dx is the mask itself
			t.Fatalf("gradient %v at %d, output %v", g, i, y.Data()[i])
		}
	}
	_, _, y2 := run(5)
	for i := range y2.Data() {
		if y2.Data()[i] != y.Data()[i] {
			t.Fatal("same seed, different mask")
		}
	}
	tp3, in3, _ := run(5)
	tp3.SetTraining(false)
	if tp3.Dropout(in3, 0.5) != in3 {
		t.Error("dropout active in evaluation mode")
	}
}

func TestParams(t *testing.T) {
	p := NewParams()
	a, err := p.Add("a", tensor.S(2, 3))
	if err != nil {
		t.Fatal(err)
	}
	a.Data()[5] = 7
	b, _ := p.Add("b", tensor.S(4))
	if a.Data()[5] != 7 || &a.Data()[0] != &p.Data()[0] || &b.Data()[0] != &p.Data()[6] || &b.Grad[0] != &p.Grad()[6] {
		t.Fatal("views not moved into the grown flat buffers")
	}
	if _, err := p.Add("a", tensor.S(1)); err == nil {
		t.Error("duplicate name accepted")
	}
	if v, ok := p.Lookup("b"); !ok || v != b || p.Offset(1) != 6 || p.NumValues() != 10 || p.Name(1) != "b" {
		t.Error("lookup or layout")
	}
	// Gradients accumulate across Backward calls until ZeroGrad.
	tp := NewTape(1)
	for i := 0; i < 2; i++ {
		if err := tp.Backward(tp.Sum(tp.Scale(b, 3))); err != nil {
			t.Fatal(err)
		}
		tp.Reset()
	}
	for _, g := range b.Grad {
		if g != 6 {
			t.Fatalf("accumulated gradient %v, want 6", b.Grad)
		}
	}
	p.ZeroGrad()
	if p.Grad()[7] != 0 {
		t.Error("ZeroGrad")
	}
}

// miniStep builds a small encoder-like step (embedding, attention, layer
// norm, feed-forward, pooling, InfoNCE) used by the allocation and
// determinism tests.
type miniModel struct {
	p                         *Params
	emb, wqkv, wo, w1, w2, ln *Var
	lnb                       *Var
	ids                       []int32
	mask                      *tensor.Tensor
	targets                   []int32
}

func newMini() *miniModel {
	m := &miniModel{p: NewParams()}
	g := tensor.NewRNG(3)
	add := func(name string, s tensor.Shape) *Var {
		v, _ := m.p.Add(name, s)
		g.Normal(&v.Value, 0, 0.2)
		return v
	}
	m.emb = add("emb", tensor.S(50, 16))
	m.wqkv = add("wqkv", tensor.S(16, 48))
	m.wo = add("wo", tensor.S(16, 16))
	m.w1 = add("w1", tensor.S(16, 32))
	m.w2 = add("w2", tensor.S(32, 16))
	m.ln = add("ln", tensor.S(16))
	m.lnb = add("lnb", tensor.S(16))
	for i := 0; i < 4*10; i++ {
		m.ids = append(m.ids, int32(g.IntN(50)))
	}
	m.mask = tensor.New(tensor.S(4, 10))
	for i := range m.mask.Data {
		if i%10 >= 7 && i >= 20 {
			m.mask.Data[i] = -1e9
		}
	}
	m.targets = []int32{0, 1, 2, 3}
	return m
}

func (m *miniModel) step(tp *Tape) (*Var, error) {
	x := tp.Reshape(tp.Embedding(m.emb, m.ids), tensor.S(4, 10, 16))
	heads := tp.SplitHeads(tp.MatMul(x, m.wqkv, false, false), 6) // [4, 6, 10, 8]
	a := tp.Attention(heads, heads, heads, m.mask, 0.35)
	ctx := tp.MatMul(tp.Reshape(tp.MergeHeads(a), tensor.S(4, 10, 48)), m.wqkv, false, true)
	y := tp.LayerNorm(tp.Add(x, tp.MatMul(ctx, m.wo, false, false)), m.ln, m.lnb, 1e-12)
	f := tp.MatMul(tp.Dropout(tp.GELU(tp.MatMul(y, m.w1, false, false)), 0.1), m.w2, false, false)
	y = tp.LayerNorm(tp.Add(y, f), m.ln, m.lnb, 1e-12)
	pooled := tp.L2Normalize(tp.CLSPool(y), 1e-12)
	qv, dv := tp.Reshape(pooled, tensor.S(4, 16)), pooled
	scores := tp.MatMul(qv, dv, false, true)
	logits := tp.Reshape(scores, tensor.S(4, 4))
	lossA := tp.CrossEntropy(logits, m.targets)
	loss := tp.Add(lossA, tp.Scale(tp.Mean(tp.Tanh(tp.Sub(qv, dv))), 0.1))
	return loss, tp.Backward(loss)
}

func TestStepAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	m := newMini()
	tp := NewTape(9)
	for _, th := range []int{1, 2} {
		prev := kernels.SetThreads(th)
		run := func() {
			tp.Reset()
			m.p.ZeroGrad()
			if _, err := m.step(tp); err != nil {
				t.Fatal(err)
			}
		}
		run()
		run()
		if a := testing.AllocsPerRun(10, run); a != 0 {
			t.Errorf("%d threads: %v allocations per step in steady state", th, a)
		}
		kernels.SetThreads(prev)
	}
}

func TestStepSameBitsAcrossThreads(t *testing.T) {
	var ref []float32
	var refLoss float32
	for _, th := range []int{1, 2, 3} {
		prev := kernels.SetThreads(th)
		m := newMini()
		tp := NewTape(9)
		loss, err := m.step(tp)
		kernels.SetThreads(prev)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, refLoss = append([]float32(nil), m.p.Grad()...), loss.Data()[0]
			continue
		}
		if loss.Data()[0] != refLoss {
			t.Fatalf("threads=%d: loss %v, threads=1: %v", th, loss.Data()[0], refLoss)
		}
		for i, g := range m.p.Grad() {
			if math.Float32bits(g) != math.Float32bits(ref[i]) {
				t.Fatalf("threads=%d: gradient %d differs: %v vs %v", th, i, g, ref[i])
			}
		}
	}
}

// TestEncoderSameBitsAcrossThreads runs an encoder step large enough that
// every parallel path splits (GEMMs, GELU, softmax, LayerNorm rows, column
// sums) at 1, 2 and 3 threads and requires identical losses and gradients.
func TestEncoderSameBitsAcrossThreads(t *testing.T) {
	const B, T, C, H, FF = 8, 64, 64, 4, 256
	g := tensor.NewRNG(4)
	x := tensor.New(tensor.S(B, T, C))
	g.Normal(x, 0, 1)
	mask := tensor.New(tensor.S(B, T))
	for i := 0; i < B; i++ {
		for j := 0; j < T-3*i; j++ {
			mask.Data[i*T+j] = 1
		}
	}
	var ref []float32
	var refLoss float32
	for _, th := range []int{1, 2, 3} {
		prev := kernels.SetThreads(th)
		p := newEncoderParams(C, FF, 1, 1)
		e := encoder{p: p, heads: H, layers: 1, eps: 1e-12, tau: 0.05}
		tp := NewTape(9)
		_, _, _, loss := e.step(tp, tp.Const(x), mask)
		err := tp.Backward(loss)
		kernels.SetThreads(prev)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, refLoss = append([]float32(nil), p.Grad()...), loss.Data()[0]
			continue
		}
		if loss.Data()[0] != refLoss {
			t.Fatalf("threads=%d: loss %v, threads=1: %v", th, loss.Data()[0], refLoss)
		}
		for i, gv := range p.Grad() {
			if math.Float32bits(gv) != math.Float32bits(ref[i]) {
				t.Fatalf("threads=%d: gradient %d differs: %v vs %v", th, i, gv, ref[i])
			}
		}
	}
}

func TestKeep(t *testing.T) {
	g := tensor.NewRNG(1)
	x := randT(g, 64, 64)
	w := randT(g, 64, 64)
	tp := NewTape(1)
	tp.NoGrad(true)
	h := tp.Const(x)
	want := NewTape(1)
	want.NoGrad(true)
	hw := want.Const(x)
	for layer := 0; layer < 5; layer++ {
		m := tp.Mark()
		h = tp.Keep(m, tp.Tanh(tp.MatMul(tp.GELU(h), tp.Const(w), false, false)))
		hw = want.Tanh(want.MatMul(want.GELU(hw), want.Const(w), false, false))
		// Only the layers' outputs remain: each layer's intermediates are
		// freed.
		if want := (layer + 1) * len(x.Data); tp.arena.used != want {
			t.Fatalf("layer %d: arena holds %d values, want %d (the outputs only)", layer, tp.arena.used, want)
		}
	}
	if err := tp.Err(); err != nil {
		t.Fatal(err)
	}
	for i, v := range hw.Data() {
		if h.Data()[i] != v {
			t.Fatalf("value %d: %v kept, %v without Keep", i, h.Data()[i], v)
		}
	}
	rec := NewTape(1)
	y := rec.Tanh(rec.Leaf(x))
	rec.Keep(rec.Mark(), y)
	if err := rec.Err(); err == nil || !strings.Contains(err.Error(), "Keep with gradient recording on") {
		t.Errorf("Keep while recording: %v", err)
	}
}
