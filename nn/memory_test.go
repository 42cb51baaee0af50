package nn

import (
	"math"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// depthConfig is a small random-weight BERT of the given depth.
func depthConfig(layers int) BertConfig {
	return BertConfig{VocabSize: 97, HiddenSize: 48, NumHiddenLayers: layers, NumAttentionHeads: 4,
		IntermediateSize: 96, HiddenAct: "gelu", MaxPositionEmbeddings: 32, TypeVocabSize: 2,
		LayerNormEps: 1e-12, HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		InitializerRange: 0.02, ModelType: "bert"}
}

// depthBatch returns 3 sequences of 16 tokens, the last two padded.
func depthBatch() ([]int32, *tensor.Tensor) {
	const B, T = 3, 16
	ids := make([]int32, B*T)
	mask := tensor.New(tensor.S(B, T))
	for b, n := range []int{16, 11, 5} {
		for i := 0; i < n; i++ {
			ids[b*T+i] = int32(1 + (7*b+13*i)%96)
			mask.Data[b*T+i] = 1
		}
	}
	return ids, mask
}

// TestInferenceForwardExact checks that Forward on an inference tape (no
// gradients, where it frees each layer's intermediates as it goes) gives
// bit for bit the hidden states and pooled vectors of the same Forward on
// a recording tape (which keeps everything), on every kernel tier, and
// that the inference tape's activation memory does not grow with depth.
func TestInferenceForwardExact(t *testing.T) {
	ids, mask := depthBatch()
	forEachTier(t, func(t *testing.T) {
		peaks := map[int]int{}
		for _, tc := range []struct {
			layers int
			seed   uint64
		}{{1, 3}, {4, 5}, {12, 7}} {
			m, err := NewBert(depthConfig(tc.layers), tc.seed)
			if err != nil {
				t.Fatal(err)
			}
			run := func(noGrad bool) (hidden, pooled []float32, peak int) {
				tp := autograd.NewTape(1)
				tp.NoGrad(noGrad)
				tp.SetTraining(false)
				h := m.Forward(tp, ids, nil, mask)
				hidden = append([]float32(nil), h.Data()...)
				pooled = append([]float32(nil), Pool(tp, h, mask, PoolMean, true).Data()...)
				if err := tp.Err(); err != nil {
					t.Fatal(err)
				}
				_, peak = tp.Footprint()
				return hidden, pooled, peak
			}
			hInf, pInf, peakInf := run(true)
			hRec, pRec, peakRec := run(false)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"hidden states", hInf, hRec}, {"pooled", pInf, pRec}} {
				if len(c.got) != len(c.want) {
					t.Fatalf("%d layers: %s: %d values, want %d", tc.layers, c.name, len(c.got), len(c.want))
				}
				for i, v := range c.want {
					if math.Float32bits(c.got[i]) != math.Float32bits(v) {
						t.Fatalf("%d layers: %s value %d: %v at inference, %v recording", tc.layers, c.name, i, c.got[i], v)
					}
				}
			}
			if tc.layers > 1 && peakInf >= peakRec {
				t.Errorf("%d layers: inference peak %d values, recording %d", tc.layers, peakInf, peakRec)
			}
			peaks[tc.layers] = peakInf
		}
		// One layer's intermediates at most, whatever the depth: the
		// first layer also sees the embeddings' (freed before it starts).
		if peaks[12] != peaks[4] || peaks[4] != peaks[1] {
			t.Errorf("inference peaks by depth %v: want equal", peaks)
		}
	})
}

// TestTrainingForwardUnchanged checks that with gradients nothing is freed:
// the recording tape's peak grows with depth and Backward still runs.
func TestTrainingForwardUnchanged(t *testing.T) {
	ids, mask := depthBatch()
	var last int
	for _, layers := range []int{1, 2, 4} {
		m, err := NewBert(depthConfig(layers), 1)
		if err != nil {
			t.Fatal(err)
		}
		tp := autograd.NewTape(1)
		loss := tp.Sum(Pool(tp, m.Forward(tp, ids, nil, mask), mask, PoolCLS, false))
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		_, peak := tp.Footprint()
		if peak <= last {
			t.Errorf("%d layers: recording peak %d values, not above %d", layers, peak, last)
		}
		last = peak
	}
}

// TestNumParams checks the count NewBert reserves against what it adds.
func TestNumParams(t *testing.T) {
	mini, err := Preset("mini", 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []BertConfig{depthConfig(1), depthConfig(3), mini} {
		m, err := NewBert(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.numParams(), m.Params.NumValues(); got != want {
			t.Errorf("%d layers, hidden %d: numParams %d, NewBert added %d", c.NumHiddenLayers, c.HiddenSize, got, want)
		}
	}
}
