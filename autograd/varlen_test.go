package autograd

import (
	"errors"
	"math"
	"testing"

	"github.com/rrra/rrra/tensor"
)

// refVarLen is MultiHeadAttentionVarLen in float64, written from its
// definition: per sequence and head, softmax(scale·q·kᵀ)·v over the
// sequence's own rows of the packed [N, 3·H·D] input.
func refVarLen(x []float64, offsets []int, heads, d int, scale float64) []float64 {
	c := heads * d
	n := offsets[len(offsets)-1]
	y := make([]float64, n*c)
	for s := 0; s+1 < len(offsets); s++ {
		r0, r1 := offsets[s], offsets[s+1]
		for h := 0; h < heads; h++ {
			for i := r0; i < r1; i++ {
				sc := make([]float64, r1-r0)
				for j := r0; j < r1; j++ {
					for e := 0; e < d; e++ {
						sc[j-r0] += x[i*3*c+h*d+e] * x[j*3*c+c+h*d+e] * scale
					}
				}
				p := refSoftmaxRow(sc, nil, false)
				for j := r0; j < r1; j++ {
					for e := 0; e < d; e++ {
						y[i*c+h*d+e] += p[j-r0] * x[j*3*c+2*c+h*d+e]
					}
				}
			}
		}
	}
	return y
}

func TestGradVarLen(t *testing.T) {
	g := tensor.NewRNG(61)
	offsets := []int{0, 3, 4, 9} // lengths 3, 1 and 5
	runGradChecks(t, []GradCheck{
		{Name: "MultiHeadAttentionVarLen", Inputs: []*tensor.Tensor{randT(g, 9, 24)},
			Build: func(t *Tape, in []*Var) *Var { return t.MultiHeadAttentionVarLen(in[0], offsets, 2, 0.5, 0) },
			Ref:   func(in [][]float64) []float64 { return refVarLen(in[0], offsets, 2, 4, 0.5) }},
		{Name: "MultiHeadAttentionVarLen one sequence", Inputs: []*tensor.Tensor{randT(g, 4, 12)},
			Build: func(t *Tape, in []*Var) *Var { return t.MultiHeadAttentionVarLen(in[0], []int{0, 4}, 4, 0.7, 0) },
			Ref:   func(in [][]float64) []float64 { return refVarLen(in[0], []int{0, 4}, 4, 1, 0.7) }},
		{Name: "MeanPoolPacked", Inputs: []*tensor.Tensor{randT(g, 9, 3)},
			Build: func(t *Tape, in []*Var) *Var { return t.MeanPoolPacked(in[0], offsets) },
			Ref: func(in [][]float64) []float64 {
				y := make([]float64, 9)
				for s := 0; s < 3; s++ {
					for r := offsets[s]; r < offsets[s+1]; r++ {
						for c := 0; c < 3; c++ {
							y[s*3+c] += in[0][r*3+c] / float64(offsets[s+1]-offsets[s])
						}
					}
				}
				return y
			}},
		{Name: "CLSPoolPacked", Inputs: []*tensor.Tensor{randT(g, 9, 3)},
			Build: func(t *Tape, in []*Var) *Var { return t.CLSPoolPacked(in[0], offsets) },
			Ref: func(in [][]float64) []float64 {
				var y []float64
				for s := 0; s < 3; s++ {
					y = append(y, in[0][offsets[s]*3:offsets[s]*3+3]...)
				}
				return y
			}},
		// The gradient reaches qkv from attention and from a second use,
		// so the attention's backward adds into a buffer already written.
		{Name: "MultiHeadAttentionVarLen shared input", Inputs: []*tensor.Tensor{randT(g, 9, 24)},
			Build: func(t *Tape, in []*Var) *Var {
				return t.Add(t.MeanPoolPacked(t.MultiHeadAttentionVarLen(in[0], offsets, 2, 0.5, 0), offsets),
					t.MeanPoolPacked(t.Reshape(t.MeanPoolPacked(in[0], []int{0, 9}), tensor.S(3, 8)), []int{0, 1, 2, 3}))
			},
			Ref: func(in [][]float64) []float64 {
				a := refVarLen(in[0], offsets, 2, 4, 0.5)
				y := make([]float64, 24)
				for s := 0; s < 3; s++ {
					for r := offsets[s]; r < offsets[s+1]; r++ {
						for c := 0; c < 8; c++ {
							y[s*8+c] += a[r*8+c] / float64(offsets[s+1]-offsets[s])
						}
					}
				}
				for r := 0; r < 9; r++ {
					for c := 0; c < 24; c++ {
						y[c] += in[0][r*24+c] / 9
					}
				}
				return y
			}},
	})
}

// TestVarLenMatchesPadded checks that attention over packed sequences
// gives, on the real tokens, what the padded and masked attention gives.
func TestVarLenMatchesPadded(t *testing.T) {
	g := tensor.NewRNG(62)
	lens := []int{5, 2, 4}
	const T, C, H = 5, 16, 4
	padded := randT(g, 3, T, 3*C)
	mask := tensor.New(tensor.S(3, T))
	var packed []float32
	offsets := []int{0}
	for b, l := range lens {
		for j := 0; j < T; j++ {
			if j >= l {
				mask.Data[b*T+j] = -3.4e38
			}
		}
		packed = append(packed, padded.Data[b*T*3*C:(b*T+l)*3*C]...)
		offsets = append(offsets, offsets[len(offsets)-1]+l)
	}
	tp := NewTape(1)
	tp.NoGrad(true)
	want := tp.MultiHeadAttentionPacked(tp.Const(padded), H, mask, 0.5, 0)
	x, _ := tensor.FromData(tensor.S(len(packed)/(3*C), 3*C), packed)
	got := tp.MultiHeadAttentionVarLen(tp.Const(x), offsets, H, 0.5, 0)
	if err := tp.Err(); err != nil {
		t.Fatal(err)
	}
	for b, l := range lens {
		for j := 0; j < l; j++ {
			for e := 0; e < C; e++ {
				w, g := want.Data()[(b*T+j)*C+e], got.Data()[(offsets[b]+j)*C+e]
				if d := w - g; d > 1e-6 || d < -1e-6 {
					t.Fatalf("sequence %d token %d column %d: packed %v, padded %v", b, j, e, g, w)
				}
			}
		}
	}
}

func TestVarLenRefusesBadOffsets(t *testing.T) {
	g := tensor.NewRNG(63)
	x := randT(g, 6, 12)
	for _, offs := range [][]int{nil, {0}, {1, 6}, {0, 5}, {0, 3, 3, 6}, {0, 4, 2, 6}, {0, 7}} {
		for name, f := range map[string]func(tp *Tape) *Var{
			"attention": func(tp *Tape) *Var { return tp.MultiHeadAttentionVarLen(tp.Const(x), offs, 2, 1, 0) },
			"mean":      func(tp *Tape) *Var { return tp.MeanPoolPacked(tp.Const(x), offs) },
			"cls":       func(tp *Tape) *Var { return tp.CLSPoolPacked(tp.Const(x), offs) },
		} {
			tp := NewTape(1)
			f(tp)
			if err := tp.Err(); !errors.Is(err, ErrShape) {
				t.Errorf("%s with offsets %v: error %v, want a shape error", name, offs, err)
			}
		}
	}
}

// TestVarLenDropout checks attention dropout on packed sequences: the mask
// holds 0 or 1/(1−p), the gradient is right through it, and evaluation
// mode drops nothing.
func TestVarLenDropout(t *testing.T) {
	g := tensor.NewRNG(64)
	offsets := []int{0, 3, 7}
	x := randT(g, 7, 24)
	const seed, p = 5, 0.3
	first := NewTape(seed)
	first.MultiHeadAttentionVarLen(first.Const(x), offsets, 2, 0.5, p)
	m := append([]float32(nil), first.ops[len(first.ops)-1].buf[2]...)
	if len(m) != 2*(3*3+4*4) {
		t.Fatalf("dropout mask of %d values", len(m))
	}
	zeros := 0
	for _, v := range m {
		switch v {
		case 0:
			zeros++
		case 1 / (1 - float32(p)):
		default:
			t.Fatalf("mask value %v", v)
		}
	}
	if zeros == 0 || zeros == len(m) {
		t.Fatalf("%d of %d dropped", zeros, len(m))
	}
	c := GradCheck{
		Name: "MultiHeadAttentionVarLen dropout", Seed: seed, Inputs: []*tensor.Tensor{x},
		Build: func(t *Tape, in []*Var) *Var { return t.MultiHeadAttentionVarLen(in[0], offsets, 2, 0.5, p) },
		Ref: func(in [][]float64) []float64 {
			const heads, d, cc = 2, 4, 8
			y := make([]float64, 7*cc)
			po := 0
			for s := 0; s < 2; s++ {
				r0, r1 := offsets[s], offsets[s+1]
				l := r1 - r0
				for h := 0; h < heads; h++ {
					for i := r0; i < r1; i++ {
						sc := make([]float64, l)
						for j := r0; j < r1; j++ {
							for e := 0; e < d; e++ {
								sc[j-r0] += in[0][i*3*cc+h*d+e] * in[0][j*3*cc+cc+h*d+e] * 0.5
							}
						}
						pr := refSoftmaxRow(sc, nil, false)
						for j := r0; j < r1; j++ {
							w := pr[j-r0] * float64(m[po+(h*l+i-r0)*l+j-r0])
							for e := 0; e < d; e++ {
								y[i*cc+h*d+e] += w * in[0][j*3*cc+2*cc+h*d+e]
							}
						}
					}
				}
				po += heads * l * l
			}
			return y
		},
	}
	if err := c.Run(); err != nil {
		t.Error(err)
	}
	eval := NewTape(seed)
	eval.SetTraining(false)
	out := eval.MultiHeadAttentionVarLen(eval.Const(x), offsets, 2, 0.5, p)
	ref := NewTape(seed)
	noDrop := ref.MultiHeadAttentionVarLen(ref.Const(x), offsets, 2, 0.5, 0)
	for i := range out.Data() {
		if out.Data()[i] != noDrop.Data()[i] {
			t.Fatal("attention dropout active in evaluation mode")
		}
	}
}

// TestFeedForward checks the fused feed-forward block: without gradients
// (blocks of rows, on every tier) it gives the three operations' values
// bit for bit when the intermediate width is a multiple of 8, and within
// rounding otherwise; with gradients it is those operations.
func TestFeedForward(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, c := range []struct{ rows, in, f, out int }{{1, 8, 16, 8}, {63, 16, 32, 16}, {64, 16, 40, 8}, {200, 24, 96, 24}, {131, 8, 13, 5}} {
			g := tensor.NewRNG(uint64(c.rows))
			x, w1, b1, w2, b2 := randT(g, c.rows, c.in), randT(g, c.f, c.in), randT(g, c.f), randT(g, c.out, c.f), randT(g, c.out)
			ref := NewTape(1)
			ref.NoGrad(true)
			want := ref.Linear(ref.GELU(ref.Linear(ref.Const(x), ref.Const(w1), ref.Const(b1))), ref.Const(w2), ref.Const(b2))
			tp := NewTape(1)
			tp.NoGrad(true)
			got := tp.FeedForward(tp.Const(x), tp.Const(w1), tp.Const(b1), tp.Const(w2), tp.Const(b2))
			if err := tp.Err(); err != nil {
				t.Fatal(err)
			}
			if len(tp.ops) != 1 {
				t.Errorf("%+v: %d records without gradients, want 1", c, len(tp.ops))
			}
			for i, w := range want.Data() {
				d := math.Abs(float64(got.Data()[i] - w))
				if (c.f%8 == 0 && d != 0) || d > 1e-5*math.Max(1, math.Abs(float64(w))) {
					t.Fatalf("%+v: element %d is %v fused, %v unfused", c, i, got.Data()[i], w)
				}
			}
			rec := NewTape(1)
			rec.FeedForward(rec.Leaf(x), rec.Leaf(w1), rec.Leaf(b1), rec.Leaf(w2), rec.Leaf(b2))
			if len(rec.ops) != 3 {
				t.Errorf("%+v: %d records with gradients, want the 3 operations", c, len(rec.ops))
			}
		}
	})
	tp := NewTape(1)
	tp.NoGrad(true)
	g := tensor.NewRNG(1)
	tp.FeedForward(tp.Const(randT(g, 4, 8)), tp.Const(randT(g, 16, 7)), tp.Const(randT(g, 16)), tp.Const(randT(g, 8, 16)), tp.Const(randT(g, 8)))
	if !errors.Is(tp.Err(), ErrShape) {
		t.Errorf("mismatched weights: error %v, want a shape error", tp.Err())
	}
}
