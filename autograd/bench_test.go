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
