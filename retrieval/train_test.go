package retrieval

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval/beir"
)

// cranfield is the embedded Cranfield collection with a vocabulary learned
// from its corpus, shared by the training tests.
type cranfield struct {
	d           *beir.Dataset
	train, test beir.Qrels
	td          *TrainData
	vocab       *wordpiece.Vocab
}

func loadCranfield(t *testing.T) *cranfield {
	t.Helper()
	fsys, name, err := beir.Open("cranfield")
	if err != nil {
		t.Fatal(err)
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &cranfield{d: d}
	if c.train, _, err = d.Qrels("train"); err != nil {
		t.Fatal(err)
	}
	if c.test, _, err = d.Qrels("test"); err != nil {
		t.Fatal(err)
	}
	if c.td, _, err = NewTrainData(d, c.train); err != nil {
		t.Fatal(err)
	}
	c.vocab, err = wordpiece.TrainTexts(c.td.Docs, wordpiece.TrainOptions{VocabSize: 2000, Lower: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTrainer returns a trainer of a fresh "mini" model on Cranfield.
func (c *cranfield) newTrainer(t *testing.T, cfg TrainConfig, sampler Sampler) *Trainer {
	t.Helper()
	bc, err := nn.Preset("mini", c.vocab.Len())
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.NewBert(bc, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true, Temperature: 0.05}
	enc := NewEncoder(bi, wordpiece.New(c.vocab, true), 32, 64)
	tr := &Trainer{Cfg: cfg, Data: c.td, Bi: bi, Params: m.Params, Enc: enc, Sampler: sampler}
	if src := sampler.PoolSource(); src == "bm25" || (src == "dense" && cfg.InitialPool != "dense") {
		tr.BM25 = BuildBM25(c.td)
	}
	return tr
}

// TestTrainGolden trains a small model on Cranfield for 40 seeded steps,
// once with BM25 negatives (as TestTrainCranfield) and once on crops of the
// corpus (as TestTrainCrops), logging every 5 steps, and checks each loss
// trajectory against testdata/train_golden.json ("go test ./retrieval -run
// TestTrainGolden -update" rewrites it, after a deliberate change to
// training). This is the quick check that training does what it did; the
// two end-to-end runs below check, at RRRA_E2E=1, that it also learns
// something useful.
//
// Each logged loss (a mean over 5 steps) must be within 2e-4 of the
// recorded one, relative to max(1, |loss|). The kernel tiers round
// differently: the same runs under RRRA_KERNELS=avx512, avx2 and generic
// on amd64 differ by at most 1.4e-5 relative (crops; 4.9e-6 for bm25), and
// generic on arm64 (measured under qemu-aarch64, where the test takes
// seven minutes) by 4.6e-6; 2e-4 leaves a margin of about 15, while
// changing the learning rate by 1% moves the trajectories by 1.2e-3 (bm25)
// and 2.5e-3 (crops). The thread count changes nothing (-cpu 1,4 give the
// same bits).
func TestTrainGolden(t *testing.T) {
	const tol = 2e-4
	if testing.Short() {
		t.Skip("trains on Cranfield: full suite only (-short skips it; under qemu it takes minutes)")
	}
	c := loadCranfield(t)
	bm25 := TrainConfig{Steps: 40, BatchQueries: 8, Negatives: 1, LR: 2e-3, WarmupSteps: 4,
		WeightDecay: 0.01, ClipNorm: 1, Seed: 1, LogEvery: 5}
	recompute := bm25
	recompute.Recompute = true
	for _, tc := range []struct {
		name    string
		sampler string
		cfg     TrainConfig
		golden  string
	}{
		{"bm25", "bm25", bm25, "bm25"},
		{"crops", "random", TrainConfig{Steps: 40, BatchQueries: 8, LR: 2e-3, WarmupSteps: 4, WeightDecay: 0.01,
			ClipNorm: 1, Seed: 2, LogEvery: 5, Crops: true}, "crops"},
		// Activation checkpointing changes nothing: the bm25 run's
		// trajectory (bit for bit, as nn's TestRecomputeIsExact checks).
		{"bm25 recompute", "bm25", recompute, "bm25"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			smp, err := NewSampler(tc.sampler, "")
			if err != nil {
				t.Fatal(err)
			}
			tr := c.newTrainer(t, tc.cfg, smp)
			if _, err := tr.Run(); err != nil {
				t.Fatal(err)
			}
			var losses []float64
			for _, r := range tr.History {
				losses = append(losses, r.Loss)
			}
			if len(losses) != tc.cfg.Steps/tc.cfg.LogEvery {
				t.Fatalf("%d loss records for %d steps", len(losses), tc.cfg.Steps)
			}
			checkGolden(t, "testdata/train_golden.json", tc.golden, losses, tol)
			// Learning happens at all: the last record's loss (a mean over
			// its five steps) is below the first's.
			if first, last := losses[0], losses[len(losses)-1]; !(last < first) {
				t.Errorf("loss %.4f at the first record, %.4f at the last: no learning", first, last)
			}
		})
	}
}

// TestTrainBF16 trains the golden bm25 run with bfloat16 products: the loss
// must follow float32's trajectory closely (bfloat16 rounds each operand to
// 8 bits, so not exactly) and fall, and the parameters stay float32 (the
// master weights are not rounded: some are not bfloat16 values).
func TestTrainBF16(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on Cranfield twice: full suite only")
	}
	c := loadCranfield(t)
	cfg := TrainConfig{Steps: 40, BatchQueries: 8, Negatives: 1, LR: 2e-3, WarmupSteps: 4,
		WeightDecay: 0.01, ClipNorm: 1, Seed: 1, LogEvery: 5}
	losses := map[string][]float64{}
	var params []float32
	for _, prec := range []string{"fp32", "bf16"} {
		smp, _ := NewSampler("bm25", "")
		cfg.Precision = prec
		tr := c.newTrainer(t, cfg, smp)
		if _, err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		for _, r := range tr.History {
			losses[prec] = append(losses[prec], r.Loss)
		}
		params = tr.Params.Data()
	}
	f, b := losses["fp32"], losses["bf16"]
	if len(b) != len(f) {
		t.Fatalf("%d and %d loss records", len(f), len(b))
	}
	same := true
	for i := range f {
		if f[i] != b[i] {
			same = false
		}
		if d := math.Abs(f[i]-b[i]) / max(1, math.Abs(f[i])); d > 0.05 {
			t.Errorf("record %d: loss %.4f in bfloat16, %.4f in float32: %.1f%% apart", i, b[i], f[i], 100*d)
		}
	}
	if same {
		t.Error("bfloat16 training gave float32's losses exactly: the products were not rounded")
	}
	if !(b[len(b)-1] < b[0]) {
		t.Errorf("bfloat16 loss %.4f at the first record, %.4f at the last: no learning", b[0], b[len(b)-1])
	}
	notBF16 := 0
	for _, v := range params {
		if math.Float32bits(v)&0xffff != 0 {
			notBF16++
		}
	}
	if notBF16 == 0 {
		t.Error("every parameter is a bfloat16 value: the master weights were rounded")
	}
	t.Logf("losses fp32 %.4f…%.4f, bf16 %.4f…%.4f", f[0], f[len(f)-1], b[0], b[len(b)-1])
}

// TestTrainCranfield trains a small model from scratch on Cranfield's
// training queries with BM25 negatives and checks, on the test queries it
// never saw, that nDCG@10 rises well above the untrained model's, and that
// the training loss falls. Seeded, so the figures are reproducible.
func TestTrainCranfield(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("trains a model for about half a minute; skipped with -short")
	}
	c := loadCranfield(t)
	smp, _ := NewSampler("bm25", "")
	tr := c.newTrainer(t, TrainConfig{Steps: 200, BatchQueries: 16, Negatives: 1, LR: 2e-3, WarmupSteps: 20,
		WeightDecay: 0.01, ClipNorm: 1, Seed: 1, LogEvery: 20, EvalEvery: 100}, smp)
	c.trainImproves(t, tr)
	if tr.Stats.Sampled != 200*16 || tr.Stats.Fallback != 0 {
		t.Errorf("sampling stats %+v", tr.Stats)
	}
}

// TestRefreshAndResume trains with a dense pool refreshed every 3 steps
// and checks that the refresh fires when it should, and that a run stopped
// at step 4 (between refreshes) and resumed from its checkpoint ends with
// exactly the weights of a run that was never stopped.
func TestRefreshAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on Cranfield twice, with refreshes: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	c := loadCranfield(t)
	smp, _ := NewSampler("simans", "k=20")
	cfg := TrainConfig{Steps: 8, BatchQueries: 4, Negatives: 2, LR: 1e-3, WarmupSteps: 2, ClipNorm: 1,
		RefreshEvery: 3, Seed: 5, LogEvery: 100}
	straight := c.newTrainer(t, cfg, smp)
	var log strings.Builder
	straight.Log = &log
	if _, err := straight.Run(); err != nil {
		t.Fatal(err)
	}
	// The BM25 pool serves steps 0–2; dense refreshes at steps 3 and 6.
	if straight.Refreshes != 2 || straight.pool.Source != "dense" || straight.pool.Step != 6 {
		t.Fatalf("%d refreshes, pool %s from step %d; want 2, dense, 6\n%s", straight.Refreshes, straight.pool.Source, straight.pool.Step, log.String())
	}
	if !strings.Contains(log.String(), "refreshed the dense pool at step 3") {
		t.Errorf("log does not record the refresh at step 3:\n%s", log.String())
	}

	ckpt := filepath.Join(t.TempDir(), "ckpt.safetensors")
	half := cfg
	half.StopAt, half.Checkpoint = 4, ckpt
	if _, err := c.newTrainer(t, half, smp).Run(); err != nil {
		t.Fatal(err)
	}
	resumed := c.newTrainer(t, TrainConfig{Steps: 8, BatchQueries: 4, Negatives: 2, LR: 1e-3, WarmupSteps: 2, ClipNorm: 1,
		RefreshEvery: 3, Seed: 77, LogEvery: 100, Checkpoint: ckpt}, smp)
	resumed.Cfg.Seed = 5 // the seed drives data order and sampling; the weights must come from the checkpoint
	if _, err := resumed.Run(); err != nil {
		t.Fatal(err)
	}
	if resumed.Refreshes != 1 {
		t.Errorf("the resumed run refreshed %d times, want 1 (at step 6)", resumed.Refreshes)
	}
	a, b := straight.Params.Data(), resumed.Params.Data()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("parameter value %d: %v resumed, %v straight", i, b[i], a[i])
		}
	}
}

// TestTrainCrops trains on Cranfield's corpus alone with Contriever-style
// crops and checks the loss falls and test nDCG@10 rises above the
// untrained model's without a single labelled query.
func TestTrainCrops(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("trains a model for about ten seconds; skipped with -short")
	}
	c := loadCranfield(t)
	smp, _ := NewSampler("random", "")
	tr := c.newTrainer(t, TrainConfig{Steps: 150, BatchQueries: 32, LR: 2e-3, WarmupSteps: 15, WeightDecay: 0.01,
		ClipNorm: 1, Seed: 2, LogEvery: 25, Crops: true}, smp)
	c.trainImproves(t, tr)
}

// trainImproves runs tr, evaluating on Cranfield's test queries before and
// after, and fails unless the loss falls by 30% or more from the first
// logged record to the last and test nDCG@10 rises by 0.05 or more.
func (c *cranfield) trainImproves(t *testing.T, tr *Trainer) {
	t.Helper()
	var log strings.Builder
	tr.Log = &log
	eval := DenseEvaluator(c.td, c.d.SplitQueries(c.test), c.test, []string{"ndcg_cut_10", "recall_100"}, 100)
	before, err := eval(tr.Enc, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr.Eval = eval
	after, err := tr.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", log.String())
	t.Logf("test nDCG@10 %.4f → %.4f, recall@100 %.4f → %.4f", before[0].Value, after[0].Value, before[1].Value, after[1].Value)
	first, last := tr.History[0].Loss, tr.History[len(tr.History)-1].Loss
	if !(last < 0.7*first) {
		t.Errorf("loss %.4f at the first record, %.4f at the last: want a fall of 30%% or more", first, last)
	}
	if !(after[0].Value > before[0].Value+0.05) {
		t.Errorf("test nDCG@10 %.4f after training, %.4f before: want a rise of 0.05 or more", after[0].Value, before[0].Value)
	}
}

// nanGrad is an AuxLoss that adds nothing to the loss and, from a given
// step on, poisons one gradient value after the backward pass, as an
// overflow in a real backward would.
type nanGrad struct {
	p     *autograd.Params
	from  int
	calls int
}

func (n *nanGrad) Loss(*autograd.Tape, *autograd.Var, *autograd.Var, []int, []int32, int) *autograd.Var {
	return nil
}

func (n *nanGrad) Step() {
	if n.calls >= n.from {
		n.p.Grad()[7] = float32(math.NaN())
	}
	n.calls++
}

// TestNonFiniteGradientStops checks that a NaN gradient with a finite loss
// stops training with an error naming the step, before the optimizer
// touches the weights, and leaves the last checkpoint whole and resumable.
func TestNonFiniteGradientStops(t *testing.T) {
	c := loadCranfield(t)
	smp, _ := NewSampler("bm25", "")
	ckpt := filepath.Join(t.TempDir(), "ckpt.safetensors")
	cfg := TrainConfig{Steps: 6, BatchQueries: 4, Negatives: 1, LR: 1e-3, WarmupSteps: 1, ClipNorm: 1, Seed: 3,
		LogEvery: 100, Checkpoint: ckpt, CheckpointEvery: 2}
	tr := c.newTrainer(t, cfg, smp)
	tr.Aux = &nanGrad{p: tr.Params, from: 3}
	var before []float32
	tr.OnNegatives = func(int, []int32, []Candidate) {
		if tr.Aux.(*nanGrad).calls == 3 && before == nil {
			before = slices.Clone(tr.Params.Data())
		}
	}
	_, err := tr.Run()
	if err == nil || !strings.Contains(err.Error(), "step 3") || !strings.Contains(err.Error(), "gradient norm is NaN") {
		t.Fatalf("error %v, want one naming step 3 and the NaN gradient norm", err)
	}
	for i, v := range tr.Params.Data() {
		if math.Float32bits(v) != math.Float32bits(before[i]) {
			t.Fatalf("weight %d changed in the failed step: %v → %v", i, before[i], v)
		}
	}
	// The checkpoint of step 2 is whole, and a run without the fault
	// resumes from it and finishes.
	again := c.newTrainer(t, cfg, smp)
	var log strings.Builder
	again.Log = &log
	if _, err := again.Run(); err != nil || !strings.Contains(log.String(), "at step 2") {
		t.Fatalf("resuming after the failure: %v\n%s", err, log.String())
	}
}

// TestResumeRefusesAnotherRun checks a checkpoint is resumed only by the
// run that wrote it: training data with the same shapes but one document
// changed, or different settings, are refused with an error naming the
// checkpoint, before any step (a resumed pool would otherwise index
// documents the checkpoint never saw).
func TestResumeRefusesAnotherRun(t *testing.T) {
	c := loadCranfield(t)
	smp, _ := NewSampler("bm25", "k=20")
	ckpt := filepath.Join(t.TempDir(), "ckpt.safetensors")
	cfg := TrainConfig{Steps: 4, BatchQueries: 2, Negatives: 1, LR: 1e-3, WarmupSteps: 1, Seed: 3, LogEvery: 100, Checkpoint: ckpt, StopAt: 1}
	if _, err := c.newTrainer(t, cfg, smp).Run(); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		name string
		edit func(tr *Trainer)
		want string
	}{
		{"one document's text changed", func(tr *Trainer) {
			td := *tr.Data
			td.Docs = append([]string(nil), td.Docs...)
			td.Docs[7] += " changed"
			tr.Data = &td
		}, "was written for other training data"},
		{"documents in another order", func(tr *Trainer) {
			td := *tr.Data
			td.DocIDs = append([]string(nil), td.DocIDs...)
			td.DocIDs[0], td.DocIDs[1] = td.DocIDs[1], td.DocIDs[0]
			tr.Data = &td
		}, "was written for other training data"},
		{"another learning rate", func(tr *Trainer) { tr.Cfg.LR = 2e-3 }, "was written with other settings"},
		{"another step count", func(tr *Trainer) { tr.Cfg.Steps = 5 }, "was written with other settings"},
		{"another precision", func(tr *Trainer) { tr.Cfg.Precision = "bf16" }, "was written with other settings"},
	} {
		t.Run(x.name, func(t *testing.T) {
			tr := c.newTrainer(t, cfg, smp)
			x.edit(tr)
			tr.Cfg.StopAt = 0
			_, err := tr.Run()
			if err == nil || !strings.Contains(err.Error(), x.want) || !strings.Contains(err.Error(), ckpt) {
				t.Fatalf("err %v; want %q naming %s", err, x.want, ckpt)
			}
			if tr.state.Opt != nil && tr.state.Opt.StepCount() != 1 {
				t.Errorf("the refused run took steps: %d", tr.state.Opt.StepCount())
			}
		})
	}
	// The run that wrote it resumes.
	tr := c.newTrainer(t, cfg, smp)
	tr.Cfg.StopAt = 0
	if _, err := tr.Run(); err != nil {
		t.Fatalf("resuming the same run: %v", err)
	}
}
