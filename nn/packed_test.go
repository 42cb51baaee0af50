package nn

import (
	"math"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// TestForwardPackedMatchesPadded checks the packed encoder against the
// padded one on the same sequences: pooled outputs (both poolings, with
// and without gradients recorded) and the parameters' gradients of a loss
// on them agree to float32 rounding.
func TestForwardPackedMatchesPadded(t *testing.T) {
	c, err := Preset("mini", 300)
	if err != nil {
		t.Fatal(err)
	}
	c.HiddenDropoutProb, c.AttentionProbsDropoutProb = 0, 0
	m, err := NewBert(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	g := tensor.NewRNG(4)
	lens := []int{7, 3, 12, 1, 12}
	T := 12
	ids := make([]int32, len(lens)*T)
	mask := tensor.New(tensor.S(len(lens), T))
	var packed []int32
	offsets := []int{0}
	for b, l := range lens {
		for j := 0; j < l; j++ {
			id := int32(1 + g.IntN(299))
			ids[b*T+j], mask.Data[b*T+j] = id, 1
			packed = append(packed, id)
		}
		offsets = append(offsets, len(packed))
	}
	for _, pool := range []Pooling{PoolMean, PoolCLS} {
		for _, record := range []bool{false, true} {
			run := func(packedPath bool) ([]float32, []float32) {
				m.Params.ZeroGrad()
				tp := autograd.NewTape(1)
				tp.NoGrad(!record)
				tp.SetTraining(false)
				var v *autograd.Var
				if packedPath {
					v = PoolPacked(tp, m.ForwardPacked(tp, packed, nil, offsets), offsets, pool, true)
				} else {
					v = Pool(tp, m.Forward(tp, ids, nil, mask), mask, pool, true)
				}
				if err := tp.Err(); err != nil {
					t.Fatal(err)
				}
				out := append([]float32(nil), v.Data()...)
				if !record {
					return out, nil
				}
				// A loss that weighs every output differently.
				w := make([]float32, len(out))
				for i := range w {
					w[i] = float32(i%7) - 3
				}
				if err := tp.BackwardFrom(v, w); err != nil {
					t.Fatal(err)
				}
				return out, append([]float32(nil), m.Params.Grad()...)
			}
			wantOut, wantGrad := run(false)
			gotOut, gotGrad := run(true)
			if d := maxAbsDiff(wantOut, gotOut); d > 2e-6 {
				t.Errorf("%v record %v: pooled outputs differ by %g", pool, record, d)
			}
			if record {
				scale := float64(0)
				for _, x := range wantGrad {
					scale = math.Max(scale, math.Abs(float64(x)))
				}
				if d := maxAbsDiff(wantGrad, gotGrad); float64(d) > 1e-4*scale {
					t.Errorf("%v: parameter gradients differ by %g (largest %g)", pool, d, scale)
				}
			}
		}
	}
}

func maxAbsDiff(a, b []float32) float32 {
	if len(a) != len(b) {
		return float32(math.Inf(1))
	}
	var d float32
	for i := range a {
		d = max(d, float32(math.Abs(float64(a[i]-b[i]))))
	}
	return d
}

func TestForwardPackedErrors(t *testing.T) {
	c, err := Preset("mini", 50)
	if err != nil {
		t.Fatal(err)
	}
	c.MaxPositionEmbeddings = 8
	m, err := NewBert(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, 10)
	for _, tc := range []struct {
		name    string
		offsets []int
		types   []int32
	}{
		{"no offsets", nil, nil},
		{"not from zero", []int{1, 10}, nil},
		{"short of the ids", []int{0, 9}, nil},
		{"empty sequence", []int{0, 4, 4, 10}, nil},
		{"decreasing", []int{0, 6, 4, 10}, nil},
		{"longer than the positions", []int{0, 10}, nil},
		{"type ids", []int{0, 5, 10}, make([]int32, 9)},
	} {
		tp := autograd.NewTape(1)
		tp.NoGrad(true)
		m.ForwardPacked(tp, ids, tc.types, tc.offsets)
		if tp.Err() == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestRecomputeIsExact checks activation checkpointing: with Recompute the
// loss and every parameter's gradient are bit for bit those without, in
// training mode with dropout (so the recomputation must draw the same
// masks), through the packed path (a padded batch) and the padded one
// (a mask with a hole, which cannot be packed), over two steps on one tape.
func TestRecomputeIsExact(t *testing.T) {
	c, err := Preset("mini", 300)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewBert(c, 5)
	if err != nil {
		t.Fatal(err)
	}
	bi := &BiEncoder{Query: m, Doc: m, Pooling: PoolMean, Normalize: true, Temperature: 0.05}
	g := tensor.NewRNG(6)
	batch := func(n, t int, hole bool) ([]int32, *tensor.Tensor) {
		ids := make([]int32, n*t)
		mask := tensor.New(tensor.S(n, t))
		for i := 0; i < n; i++ {
			l := 2 + g.IntN(t-1)
			for j := 0; j < l; j++ {
				ids[i*t+j], mask.Data[i*t+j] = int32(1+g.IntN(299)), 1
			}
		}
		if hole {
			mask.Data[1] = 0
		}
		return ids, mask
	}
	for _, hole := range []bool{false, true} {
		qIDs, qMask := batch(4, 6, hole)
		dIDs, dMask := batch(8, 11, false)
		run := func(recompute bool) (losses []float32, grads [][]float32) {
			m.Recompute = recompute
			defer func() { m.Recompute = false }()
			tp := autograd.NewTape(9)
			for step := 0; step < 2; step++ {
				tp.Reset()
				m.Params.ZeroGrad()
				loss := bi.InfoNCE(tp, qIDs, qMask, dIDs, dMask, 2)
				if err := tp.Backward(loss); err != nil {
					t.Fatal(err)
				}
				losses = append(losses, loss.Data()[0])
				grads = append(grads, append([]float32(nil), m.Params.Grad()...))
			}
			return losses, grads
		}
		wantL, wantG := run(false)
		gotL, gotG := run(true)
		for s := range wantL {
			if gotL[s] != wantL[s] {
				t.Errorf("hole %v, step %d: loss %v with recomputation, %v without", hole, s, gotL[s], wantL[s])
			}
			nonzero := 0
			for i := range wantG[s] {
				if gotG[s][i] != wantG[s][i] {
					t.Fatalf("hole %v, step %d: gradient %d is %v with recomputation, %v without", hole, s, i, gotG[s][i], wantG[s][i])
				}
				if wantG[s][i] != 0 {
					nonzero++
				}
			}
			if nonzero == 0 {
				t.Fatalf("hole %v, step %d: every gradient is zero", hole, s)
			}
		}
		if wantL[0] == wantL[1] {
			t.Errorf("hole %v: both steps gave loss %v: dropout draws nothing new?", hole, wantL[0])
		}
	}
}
