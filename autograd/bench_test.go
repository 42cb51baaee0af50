package autograd

import (
	"fmt"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// BenchmarkBlockStep times one training step (forward, backward) of a
// two-layer BERT-style encoder block stack at hidden 256, 4 heads, FFN
// 1024, batch 64 × 128 tokens, with the mean-pooled InfoNCE loss of
// TestGoldenEncoder and no dropout, at 1 and 2 threads. Compare with
// PyTorch through bench/ (bash bench/blockstep.sh), which also reports the
// share of the step spent in SGEMM.
func BenchmarkBlockStep(b *testing.B) {
	const B, T, C, H, FF, L = 64, 128, 256, 4, 1024, 2
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", th), func(b *testing.B) {
			prev := kernels.SetThreads(th)
			defer kernels.SetThreads(prev)
			p := newEncoderParams(C, FF, L, 1)
			g := tensor.NewRNG(2)
			x := tensor.New(tensor.S(B, T, C))
			g.Normal(x, 0, 1)
			mask := tensor.New(tensor.S(B, T))
			for i := 0; i < B; i++ {
				n := T - (i*7)%(T/2) // lengths from 65 to 128 tokens
				for j := 0; j < n; j++ {
					mask.Data[i*T+j] = 1
				}
			}
			e := encoder{p: p, heads: H, layers: L, eps: 1e-12, tau: 0.05}
			tp := NewTape(3)
			step := func() {
				tp.Reset()
				p.ZeroGrad()
				_, _, _, loss := e.step(tp, tp.Const(x), mask)
				if err := tp.Backward(loss); err != nil {
					b.Fatal(err)
				}
			}
			step() // sizes the arena
			step() // and coalesces it into one chunk
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
		})
	}
}

// BenchmarkOps times each op's forward and backward together on the sizes
// of the block step (8192 tokens × 256 features, FFN 1024, 4 heads of 64,
// sequences of 128), reporting ns/op and allocs/op (0 in steady state).
func BenchmarkOps(b *testing.B) {
	const B, T, C, H, FF = 64, 128, 256, 4, 1024
	g := tensor.NewRNG(5)
	rnd := func(dims ...int) *tensor.Tensor {
		x := tensor.New(tensor.S(dims...))
		g.Normal(x, 0, 1)
		return x
	}
	x, x2, w, bias := rnd(B, T, C), rnd(B, T, C), rnd(C, C), rnd(C)
	ff, w1 := rnd(B, T, FF), rnd(FF, C)
	mask := tensor.New(tensor.S(B, T))
	pool := tensor.New(tensor.S(B, T))
	pool.Fill(1)
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32(g.IntN(30522))
	}
	table := rnd(30522, C)
	logits := rnd(B/2, B/2)
	targets := make([]int32, B/2)
	for i := range targets {
		targets[i] = int32(i)
	}
	ops := []struct {
		name string
		f    func(t *Tape, in []*Var) *Var
		in   []*tensor.Tensor
	}{
		{"Linear", func(t *Tape, in []*Var) *Var { return t.Linear(in[0], in[1], in[2]) }, []*tensor.Tensor{x, w, bias}},
		{"LinearFFN", func(t *Tape, in []*Var) *Var { return t.Linear(in[0], in[1], nil) }, []*tensor.Tensor{x, w1}},
		{"Add", func(t *Tape, in []*Var) *Var { return t.Add(in[0], in[1]) }, []*tensor.Tensor{x, x2}},
		{"GELU", func(t *Tape, in []*Var) *Var { return t.GELU(in[0]) }, []*tensor.Tensor{ff}},
		{"LayerNorm", func(t *Tape, in []*Var) *Var { return t.LayerNorm(in[0], in[1], in[2], 1e-12) }, []*tensor.Tensor{x, bias, bias}},
		{"MultiHeadAttention", func(t *Tape, in []*Var) *Var {
			return t.MultiHeadAttention(in[0], in[1], in[2], H, mask, 0.125, 0)
		}, []*tensor.Tensor{x, x2, x}},
		{"Softmax", func(t *Tape, in []*Var) *Var { return t.Softmax(in[0], nil) }, []*tensor.Tensor{ff}},
		{"Embedding", func(t *Tape, in []*Var) *Var { return t.Embedding(in[0], ids) }, []*tensor.Tensor{table}},
		{"MeanPool", func(t *Tape, in []*Var) *Var { return t.MeanPool(in[0], pool) }, []*tensor.Tensor{x}},
		{"L2Normalize", func(t *Tape, in []*Var) *Var { return t.L2Normalize(in[0], 1e-12) }, []*tensor.Tensor{x}},
		{"CrossEntropy", func(t *Tape, in []*Var) *Var { return t.CrossEntropy(in[0], targets) }, []*tensor.Tensor{logits}},
		{"Dropout", func(t *Tape, in []*Var) *Var { return t.Dropout(in[0], 0.1) }, []*tensor.Tensor{x}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			tp := NewTape(1)
			seed := make([]float32, 0)
			vars := make([]*Var, len(op.in))
			run := func() {
				tp.Reset()
				for i, in := range op.in {
					vars[i] = tp.Leaf(in)
				}
				out := op.f(tp, vars)
				if cap(seed) < len(out.Data()) {
					seed = make([]float32, len(out.Data()))
					for i := range seed {
						seed[i] = 1
					}
				}
				if err := tp.BackwardFrom(out, seed[:len(out.Data())]); err != nil {
					b.Fatal(err)
				}
			}
			run()
			run()
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}
