package autograd

import (
	"errors"
	"testing"

	"github.com/rrra/rrra/tensor"
)

// TestCheckpoint checks that a checkpointed block gives the values and
// gradients (of its input and of its parameters) of the block run
// directly, bit for bit, with dropout on, and that nothing of the block
// stays on the tape but its output.
func TestCheckpoint(t *testing.T) {
	g := tensor.NewRNG(71)
	ps := NewParams()
	w, err := ps.Add("w", tensor.S(6, 4))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ps.Add("b", tensor.S(6))
	if err != nil {
		t.Fatal(err)
	}
	g.Normal(&w.Value, 0, 0.5)
	g.Normal(&b.Value, 0, 0.5)
	x0 := randT(g, 3, 4)
	block := func(tp *Tape, x *Var) *Var {
		return tp.Dropout(tp.GELU(tp.Linear(x, w, b)), 0.3)
	}
	run := func(ck bool) (out, dx, dw []float32, ops int) {
		ps.ZeroGrad()
		tp := NewTape(4)
		x := tp.Leaf(x0)
		var y *Var
		if ck {
			y = tp.Checkpoint(x, block)
		} else {
			y = block(tp, x)
		}
		ops = len(tp.ops)
		loss := tp.Sum(tp.Mul(y, y))
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), y.Data()...), append([]float32(nil), x.Grad...), append([]float32(nil), ps.Grad()...), ops
	}
	wy, wdx, wdw, _ := run(false)
	gy, gdx, gdw, ops := run(true)
	if ops != 1 {
		t.Errorf("the checkpointed block left %d records on the tape, want 1", ops)
	}
	for name, p := range map[string][2][]float32{"output": {gy, wy}, "input gradient": {gdx, wdx}, "parameter gradients": {gdw, wdw}} {
		for i := range p[1] {
			if p[0][i] != p[1][i] {
				t.Fatalf("%s %d: %v checkpointed, %v direct", name, i, p[0][i], p[1][i])
			}
		}
	}
	zeros := 0
	for _, v := range wy {
		if v == 0 {
			zeros++
		}
	}
	if zeros == 0 {
		t.Error("no output dropped: the test does not exercise dropout")
	}
}

// TestCheckpointErrors checks that a block's failure is the tape's error,
// in the first run and in the recomputation.
func TestCheckpointErrors(t *testing.T) {
	g := tensor.NewRNG(72)
	x0 := randT(g, 2, 3)
	bad := errors.New("block failed")
	tp := NewTape(1)
	tp.Checkpoint(tp.Leaf(x0), func(tp *Tape, x *Var) *Var { return tp.Fail(bad) })
	if !errors.Is(tp.Err(), bad) {
		t.Errorf("forward: error %v, want %v", tp.Err(), bad)
	}
	calls := 0
	tp = NewTape(1)
	y := tp.Checkpoint(tp.Leaf(x0), func(tp *Tape, x *Var) *Var {
		if calls++; calls == 2 {
			return tp.Fail(bad)
		}
		return tp.Scale(x, 2)
	})
	if err := tp.Backward(tp.Sum(y)); !errors.Is(err, bad) {
		t.Errorf("backward: error %v, want %v", err, bad)
	}
}
