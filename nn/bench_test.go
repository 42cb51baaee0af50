package nn

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/internal/benchenv"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Benchmark configurations (vocab 30522, 512 positions, dropout 0.1 as
// BERT, FFN 4 × hidden): tiny is hidden 128, 2 layers, 2 heads; small is
// hidden 256, 4 layers, 4 heads; both with documents of 128 tokens. minilm
// is all-MiniLM-L6-v2's shape (hidden 384, 6 layers, 12 heads of 32) with
// documents of 256 tokens; bert-base is BERT-base's (hidden 768, 12
// layers, 12 heads), with documents of 128.
var benchConfigs = []struct {
	name                  string
	hidden, layers, heads int
	docLen                int
}{{"tiny", 128, 2, 2, 128}, {"small", 256, 4, 4, 128}, {"minilm", 384, 6, 12, 256}, {"bert-base", 768, 12, 12, 128}}

func benchConfig(hidden, layers, heads int) BertConfig {
	return BertConfig{VocabSize: 30522, HiddenSize: hidden, NumHiddenLayers: layers, NumAttentionHeads: heads,
		IntermediateSize: 4 * hidden, HiddenAct: "gelu", MaxPositionEmbeddings: 512, TypeVocabSize: 2,
		LayerNormEps: 1e-12, HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1, InitializerRange: 0.02}
}

// randomBatch returns n sequences of t token ids ([CLS] … [SEP], no
// padding) and their mask.
func randomBatch(r *rand.Rand, n, t int) ([]int32, *tensor.Tensor) {
	ids := make([]int32, n*t)
	for i := 0; i < n; i++ {
		ids[i*t] = 101
		for j := 1; j < t-1; j++ {
			ids[i*t+j] = int32(1000 + r.IntN(29000))
		}
		ids[i*t+t-1] = 102
	}
	mask := tensor.New(tensor.S(n, t))
	mask.Fill(1)
	return ids, mask
}

// BenchmarkTrainStep: 32 queries of 32 tokens and 64 documents of the
// configuration's length (a positive and a hard negative per query),
// in-batch InfoNCE, backward, clipping and AdamW; named BenchmarkTrainStep/<config>/t<threads>, and
// BenchmarkTrainStep/<config>-recompute/t<threads> with activation
// checkpointing (Bert.Recompute), and BenchmarkTrainStep/<config>-bf16/
// t<threads> with bfloat16 products (autograd.Tape.SetBF16). Compare with PyTorch through bash
// bench/bert.sh; bench/recompute.sh compares the two.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range benchConfigs {
		for _, variant := range []string{"", "-recompute", "-bf16"} {
			recompute, bf16 := variant == "-recompute", variant == "-bf16"
			for _, th := range benchenv.Threads() {
				name := c.name + variant
				b.Run(fmt.Sprintf("%s/t%d", name, th), func(b *testing.B) {
					prev := kernels.SetThreads(th)
					defer kernels.SetThreads(prev)
					m, err := NewBert(benchConfig(c.hidden, c.layers, c.heads), 1)
					if err != nil {
						b.Fatal(err)
					}
					m.Recompute = recompute
					r := rand.New(rand.NewPCG(1, 2))
					qIDs, qMask := randomBatch(r, 32, 32)
					dIDs, dMask := randomBatch(r, 64, c.docLen)
					bi := &BiEncoder{Query: m, Doc: m, Pooling: PoolCLS, Normalize: true, Temperature: 0.05}
					opt := NewAdamW(m.Params, AdamWConfig{WeightDecay: 0.01})
					tp := autograd.NewTape(3)
					tp.SetBF16(bf16)
					step := func() {
						tp.Reset()
						m.Params.ZeroGrad()
						if err := tp.Backward(bi.InfoNCE(tp, qIDs, qMask, dIDs, dMask, 2)); err != nil {
							b.Fatal(err)
						}
						ClipGradNorm(m.Params, 1)
						opt.Step(1e-4)
					}
					step()
					step()
					b.ReportAllocs()
					for b.Loop() {
						step()
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
					b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
				})
			}
		}
	}
}

// BenchmarkEncode: batches of 64 documents of the configuration's length,
// no gradients, through the packed path that retrieval.Encoder takes (the
// documents are all full length here: bench/encode.sh measures real text);
// named BenchmarkEncode/<config>/t<threads>.
func BenchmarkEncode(b *testing.B) {
	for _, c := range benchConfigs {
		for _, th := range benchenv.Threads() {
			b.Run(fmt.Sprintf("%s/t%d", c.name, th), func(b *testing.B) {
				prev := kernels.SetThreads(th)
				defer kernels.SetThreads(prev)
				m, err := NewBert(benchConfig(c.hidden, c.layers, c.heads), 1)
				if err != nil {
					b.Fatal(err)
				}
				ids, _ := randomBatch(rand.New(rand.NewPCG(3, 4)), 64, c.docLen)
				offsets := make([]int, 65)
				for i := range offsets {
					offsets[i] = i * c.docLen
				}
				tp := autograd.NewTape(0)
				tp.NoGrad(true)
				tp.SetTraining(false)
				enc := func() {
					tp.Reset()
					PoolPacked(tp, m.ForwardPacked(tp, ids, nil, offsets), offsets, PoolCLS, true)
					if err := tp.Err(); err != nil {
						b.Fatal(err)
					}
				}
				enc()
				enc()
				b.ReportAllocs()
				for b.Loop() {
					enc()
				}
				b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
				b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
			})
		}
	}
}

// peakRSSMiB is the process's peak resident memory (VmHWM on Linux; the Go
// heap's size elsewhere). Run one benchmark per process to attribute it.
func peakRSSMiB() float64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					return kb / 1024
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapSys) / (1 << 20)
}
