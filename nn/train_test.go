package nn

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

var trainCfg = BertConfig{VocabSize: 200, HiddenSize: 16, NumHiddenLayers: 2, NumAttentionHeads: 2,
	IntermediateSize: 32, HiddenAct: "gelu", MaxPositionEmbeddings: 16, TypeVocabSize: 2,
	LayerNormEps: 1e-12, HiddenDropoutProb: 0.1, InitializerRange: 0.02}

// batchAt is the data at position pos of a deterministic stream: 4 queries
// of 6 tokens and 8 documents of 10 (a positive and a hard negative each),
// with some padding.
func batchAt(pos int64) (qIDs []int32, qMask *tensor.Tensor, dIDs []int32, dMask *tensor.Tensor) {
	r := rand.New(rand.NewPCG(uint64(pos), 99))
	make1 := func(n, t int) ([]int32, *tensor.Tensor) {
		ids := make([]int32, n*t)
		mask := tensor.New(tensor.S(n, t))
		for i := 0; i < n; i++ {
			l := t - r.IntN(t/2)
			for j := 0; j < l; j++ {
				ids[i*t+j] = int32(5 + r.IntN(195))
				mask.Data[i*t+j] = 1
			}
		}
		return ids, mask
	}
	qIDs, qMask = make1(4, 6)
	dIDs, dMask = make1(8, 10)
	return
}

type run struct {
	model *Bert
	bi    *BiEncoder
	tape  *autograd.Tape
	state TrainState
	sched LinearSchedule
}

func newRun(t *testing.T, seed uint64) *run {
	m, err := NewBert(trainCfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape(seed + 1)
	return &run{model: m, bi: &BiEncoder{Query: m, Doc: m, Pooling: PoolMean, Normalize: true, Temperature: 0.05}, tape: tp,
		state: TrainState{Opt: NewAdamW(m.Params, AdamWConfig{WeightDecay: 0.01}), RNG: tp.RNG()},
		sched: LinearSchedule{Peak: 1e-3, Warmup: 2, Total: 8}}
}

// step trains on the batch at the current data position and advances it.
func (r *run) step(t *testing.T) float32 {
	r.tape.Reset()
	r.model.Params.ZeroGrad()
	q, qm, d, dm := batchAt(r.state.DataPos)
	loss := r.bi.InfoNCE(r.tape, q, qm, d, dm, 2)
	if err := r.tape.Backward(loss); err != nil {
		t.Fatal(err)
	}
	ClipGradNorm(r.model.Params, 1)
	r.state.Opt.Step(r.sched.LR(r.state.Opt.StepCount()))
	r.state.DataPos++
	return loss.Data()[0]
}

// TestTrainGolden trains the small model of TestResumeIsExact for 24 seeded
// steps and checks the loss trajectory against testdata/train_golden.json
// ("go test ./nn -run TestTrainGolden -update" rewrites it, after a
// deliberate change to training). The data are random tokens, so the loss
// need not fall: the trajectory is the check.
//
// Each loss must be within 5e-4 of the recorded one, relative to max(1,
// |loss|). The kernel tiers round differently: the run under
// RRRA_KERNELS=avx512, avx2 and generic on amd64 differs by at most 8.0e-6
// relative, and generic on arm64 (where Go fuses multiply-adds; measured
// under qemu-aarch64) by 8.7e-5, at one step whose batch is sensitive (the
// temperature 0.05 scales every score by 20); 5e-4 leaves a margin of
// about 6 over that, while a 1% change of the peak learning rate moves the
// trajectory by 1.2e-3. The thread count changes nothing.
func TestTrainGolden(t *testing.T) {
	const steps, tol = 24, 5e-4
	r := newRun(t, 1)
	r.sched = LinearSchedule{Peak: 1e-3, Warmup: 2, Total: steps}
	losses := make([]float64, steps)
	for i := range losses {
		losses[i] = float64(r.step(t))
	}
	checkGolden(t, "testdata/train_golden.json", "bert", losses, tol)
}

// TestResumeIsExact trains 8 steps straight, and 4 steps, a checkpoint, a
// fresh process-like restart (new model with another seed, new tape and
// optimizer) and 4 more: weights, moments and losses must agree bit for bit.
func TestResumeIsExact(t *testing.T) {
	straight := newRun(t, 1)
	var losses []float32
	for i := 0; i < 8; i++ {
		losses = append(losses, straight.step(t))
	}
	if !(losses[7] < losses[0]) {
		t.Logf("losses %v (not required to fall in 8 steps)", losses)
	}

	first := newRun(t, 1)
	for i := 0; i < 4; i++ {
		first.step(t)
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	first.state.Extra = map[string][]byte{"pool": {0, 1, 2, 255}, "empty": {}}
	if err := SaveCheckpoint(path, first.model.Params, first.state); err != nil {
		t.Fatal(err)
	}
	resumed := newRun(t, 77) // different initial weights and RNG: all must come from the checkpoint
	if pos, err := LoadCheckpoint(path, resumed.model.Params, &resumed.state); err != nil || pos != 4 {
		t.Fatalf("LoadCheckpoint: pos %d, %v", pos, err)
	}
	if len(resumed.state.Extra) != 2 || string(resumed.state.Extra["pool"]) != "\x00\x01\x02\xff" || len(resumed.state.Extra["empty"]) != 0 {
		t.Fatalf("extra state after resuming: %v", resumed.state.Extra)
	}
	for i := 4; i < 8; i++ {
		if l := resumed.step(t); l != losses[i] {
			t.Fatalf("step %d: loss %v after resuming, %v straight", i, l, losses[i])
		}
	}
	a, b := straight.model.Params.Data(), resumed.model.Params.Data()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("parameter value %d: %v resumed, %v straight", i, b[i], a[i])
		}
	}
	ma, va := straight.state.Opt.Moments()
	mb, vb := resumed.state.Opt.Moments()
	for i := range ma {
		if ma[i] != mb[i] || va[i] != vb[i] {
			t.Fatalf("moment %d differs after resuming", i)
		}
	}
}

func TestCheckpointErrors(t *testing.T) {
	r := newRun(t, 1)
	r.step(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveCheckpoint(good, r.model.Params, r.state); err != nil {
		t.Fatal(err)
	}
	other := trainCfg
	other.NumHiddenLayers = 1
	small, _ := NewBert(other, 1)
	smallState := TrainState{Opt: NewAdamW(small.Params, AdamWConfig{}), RNG: tensor.NewRNG(1)}
	if _, err := LoadCheckpoint(good, small.Params, &smallState); err == nil || !strings.Contains(err.Error(), "holds 111 tensors; the model needs 63") {
		t.Errorf("checkpoint of another model: %v", err)
	}
	b, _ := os.ReadFile(good)
	trunc := filepath.Join(dir, "trunc.safetensors")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	if _, err := LoadCheckpoint(trunc, r.model.Params, &r.state); err == nil || !strings.Contains(err.Error(), "trunc.safetensors") {
		t.Errorf("truncated checkpoint: %v", err)
	}
	weights := filepath.Join(dir, "weights.safetensors")
	tensor.WriteSafetensorsFile(weights, []tensor.Named{{Name: "x", Tensor: tensor.New(tensor.S(1))}}, nil)
	if _, err := LoadCheckpoint(weights, r.model.Params, &r.state); err == nil || !strings.Contains(err.Error(), "field format") {
		t.Errorf("not a checkpoint: %v", err)
	}
}

// TestInfoNCEMasked checks the masked loss against a float64 computation
// that leaves the masked documents out of each query's softmax.
func TestInfoNCEMasked(t *testing.T) {
	r := newRun(t, 3)
	q, qm, d, dm := batchAt(5)
	mask := tensor.New(tensor.S(4, 8))
	masked := [][2]int{{0, 3}, {2, 0}, {2, 7}, {3, 1}}
	for _, p := range masked {
		mask.Data[p[0]*8+p[1]] = MaskedOut
	}
	tp := autograd.NewTape(1)
	tp.SetTraining(false)
	loss := r.bi.InfoNCEMasked(tp, q, qm, d, dm, 2, mask)
	qv := r.bi.Encode(tp, r.model, q, qm).Data()
	dv := r.bi.Encode(tp, r.model, d, dm).Data()
	if err := tp.Err(); err != nil {
		t.Fatal(err)
	}
	h := len(qv) / 4
	want := 0.0
	for i := 0; i < 4; i++ {
		var logits []float64
		target := 0.0
		for j := 0; j < 8; j++ {
			skip := false
			for _, p := range masked {
				skip = skip || p == [2]int{i, j}
			}
			if skip {
				continue
			}
			s := 0.0
			for k := 0; k < h; k++ {
				s += float64(qv[i*h+k]) * float64(dv[j*h+k])
			}
			s /= float64(r.bi.Temperature)
			if j == 2*i {
				target = s
			}
			logits = append(logits, s)
		}
		lse := 0.0
		for _, s := range logits {
			lse += math.Exp(s)
		}
		want += (math.Log(lse) - target) / 4
	}
	if got := float64(loss.Data()[0]); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Errorf("masked InfoNCE %v, float64 reference %v", got, want)
	}
	unmasked := r.bi.InfoNCE(tp, q, qm, d, dm, 2).Data()[0]
	if float64(unmasked) <= want {
		t.Errorf("masking negatives should lower the loss: %v masked, %v unmasked", want, unmasked)
	}
	if l := r.bi.InfoNCEMasked(tp, q, qm, d, dm, 2, tensor.New(tensor.S(4, 7))); tp.Err() == nil {
		t.Errorf("a mask of the wrong shape was accepted (loss %v)", l)
	}
}
