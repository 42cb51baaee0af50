package autograd

import (
	"testing"

	"github.com/rrra/rrra/tensor"
)

// TestParamsGrowth adds parameters with and without Reserve, with and
// without gradients written in between: values and gradients survive every
// move, views follow the flat buffers, new parameters start at zero, and a
// Reserve made up front means the buffers never move.
func TestParamsGrowth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reserve  int
		gradient bool // write gradients before each Add
		moves    bool // whether the buffers may move
	}{
		{"grow", 0, false, true},
		{"grow with gradients", 0, true, true},
		{"reserved", 5 * 7, false, false},
		{"reserved with gradients", 5 * 7, true, false},
		{"reserve too small", 10, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParams()
			p.Reserve(tc.reserve)
			var vars []*Var
			var first *float32
			for i := 0; i < 5; i++ {
				v, err := p.Add(string(rune('a'+i)), tensor.S(7))
				if err != nil {
					t.Fatal(err)
				}
				for j := range v.Data() {
					if v.Data()[j] != 0 || v.Grad[j] != 0 {
						t.Fatalf("parameter %d starts at value %v, gradient %v", i, v.Data()[j], v.Grad[j])
					}
					v.Data()[j] = float32(10*i + j)
					if tc.gradient {
						v.Grad[j] = -float32(10*i + j)
					}
				}
				if i == 0 {
					first = &p.Data()[0]
				}
				vars = append(vars, v)
			}
			if !tc.moves && first != &p.Data()[0] {
				t.Error("the reserved buffers moved")
			}
			d, g := p.Data(), p.Grad()
			if len(d) != 35 || cap(d) != 35 || len(g) != 35 || cap(g) != 35 {
				t.Errorf("flat buffers of length %d, %d and capacity %d, %d; want 35", len(d), len(g), cap(d), cap(g))
			}
			for i, v := range vars {
				if &v.Data()[0] != &d[7*i] || &v.Grad[0] != &g[7*i] {
					t.Fatalf("parameter %d's views are not in the flat buffers", i)
				}
				for j := range v.Data() {
					want := float32(10*i + j)
					wantG := float32(0)
					if tc.gradient {
						wantG = -want
					}
					if v.Data()[j] != want || v.Grad[j] != wantG {
						t.Fatalf("parameter %d value %d: %v, gradient %v; want %v, %v", i, j, v.Data()[j], v.Grad[j], want, wantG)
					}
				}
			}
		})
	}
}

// TestKeepPingPong keeps each layer's output at one mark taken before the
// input: the input and the intermediates are freed, so the arena holds one
// layer's output between layers whatever the depth, with the values of the
// same computation without Keep.
func TestKeepPingPong(t *testing.T) {
	g := tensor.NewRNG(2)
	x := randT(g, 32, 48)
	w := randT(g, 48, 48)
	for _, layers := range []int{1, 3, 9} {
		tp := NewTape(1)
		tp.NoGrad(true)
		ref := NewTape(1)
		ref.NoGrad(true)
		wc, wr := tp.Const(w), ref.Const(w)
		m := tp.Mark()
		h := tp.Keep(m, tp.Scale(tp.Const(x), 1))
		hr := ref.Scale(ref.Const(x), 1)
		var peak int
		for l := 0; l < layers; l++ {
			h = tp.Keep(m, tp.Tanh(tp.MatMul(tp.GELU(h), wc, false, false)))
			hr = ref.Tanh(ref.MatMul(ref.GELU(hr), wr, false, false))
			if tp.arena.used != len(x.Data) {
				t.Fatalf("%d layers: after layer %d the arena holds %d values, want %d", layers, l, tp.arena.used, len(x.Data))
			}
			if l == 0 {
				_, peak = tp.Footprint()
			}
		}
		if err := tp.Err(); err != nil {
			t.Fatal(err)
		}
		if _, p := tp.Footprint(); p != peak {
			t.Errorf("%d layers: peak %d values, %d after the first layer", layers, p, peak)
		}
		for i, v := range hr.Data() {
			if h.Data()[i] != v {
				t.Fatalf("%d layers: value %d: %v kept, %v without Keep", layers, i, h.Data()[i], v)
			}
		}
	}
}

// TestKeepErrors: Keep refuses while recording and for a variable made
// before the mark, and after a failure returns the placeholder.
func TestKeepErrors(t *testing.T) {
	x := tensor.New(tensor.S(2, 2))
	for _, tc := range []struct {
		name string
		run  func(tp *Tape) *Var
		want string
	}{
		{"recording", func(tp *Tape) *Var { return tp.Keep(tp.Mark(), tp.Tanh(tp.Leaf(x))) }, "Keep with gradient recording on"},
		{"before the mark", func(tp *Tape) *Var {
			tp.NoGrad(true)
			y := tp.Tanh(tp.Const(x))
			return tp.Keep(tp.Mark(), y)
		}, "Keep of a variable made before the mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := NewTape(1)
			v := tc.run(tp)
			if err := tp.Err(); err == nil || err.Error() != "autograd: "+tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if v != &tp.dummy || tp.Keep(tp.Mark(), v) != &tp.dummy {
				t.Error("no placeholder after the failure")
			}
		})
	}
}
