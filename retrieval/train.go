package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/tensor"
)

// TrainConfig sets up a contrastive training run.
type TrainConfig struct {
	Steps        int     // optimizer steps
	BatchQueries int     // queries per step
	Negatives    int     // hard negatives per query: groups of 1 + Negatives documents
	LR           float64 // peak learning rate
	WarmupSteps  int     // linear warm-up, then linear decay to 0 at Steps
	WeightDecay  float64 // AdamW's decoupled weight decay (not on biases and LayerNorm)
	ClipNorm     float64 // clip the global gradient norm to this (0: no clipping)
	// RefreshEvery re-encodes the corpus and re-mines the dense pool every
	// this many steps (ANCE's asynchronous refresh, done synchronously);
	// 0 mines it once, before the first step that needs it.
	RefreshEvery int
	// InitialPool is the pool a dense sampler reads before the first
	// refresh: PoolBM25 (the default; a model trained from scratch has no
	// useful pool of its own yet) or PoolDense (refresh at step 0).
	// adapter.TrainingSampler.Prepare makes it PoolDense for RRRA.
	InitialPool PoolSource
	Seed        uint64 // data order, positive choice and sampling
	LogEvery    int    // progress line every this many steps (0: 50)
	// Checkpoint, when set, is written atomically every CheckpointEvery
	// steps and at the end; Train resumes from it when it exists.
	Checkpoint      string
	CheckpointEvery int
	// StopAt ends the run after this many steps in all, as an
	// interruption would, with a checkpoint when one is configured; the
	// schedule stays that of Steps (0: run to Steps).
	StopAt int
	// Crops switches to unsupervised training on the corpus alone, as
	// Contriever does: a step's queries are random documents, each paired
	// with itself through two independent random crops (spans of
	// CropMin–CropMax of its words), with in-batch negatives only.
	Crops            bool
	CropMin, CropMax float64 // fractions of a document's words (0: 0.1 and 0.5)
	// EvalEvery evaluates on the dev set every this many steps and at the
	// end, when Eval is set.
	EvalEvery int
	// Recompute turns on activation checkpointing in both towers
	// (nn.Bert.Recompute): a step holds one layer's activations instead
	// of all, for one more forward pass; the results are unchanged.
	Recompute bool
	// Precision is the arithmetic of the training step's matrix products:
	// "" or "fp32", or "bf16" (operands rounded to bfloat16, float32 sums,
	// float32 master weights and optimizer state: autograd.Tape.SetBF16).
	// Checkpoints are float32 either way; a run resumes only at the
	// precision it started with.
	Precision string
}

// Validate checks every field of c against its domain: Steps 1 to 2³⁰,
// BatchQueries 1 to 65536, Negatives 0 to 2²⁰, LR finite in [0, 10],
// WarmupSteps 0 to Steps, WeightDecay finite in [0, 10], ClipNorm finite
// in [0, 10⁶], RefreshEvery, CheckpointEvery, StopAt, EvalEvery and
// LogEvery ≥ 0, CropMin and CropMax 0 (the default) or in (0, 1] with
// CropMin ≤ CropMax, InitialPool empty, PoolBM25 or PoolDense, Precision
// empty, fp32 or bf16. Run calls it before any work.
// CheckTrainPrecision refuses a training precision other than "" or
// "fp32" (float32 products) and "bf16" (TrainConfig.Precision).
func CheckTrainPrecision(p string) error {
	switch p {
	case "", "fp32", "bf16":
		return nil
	}
	return fmt.Errorf("precision %q: want fp32 or bf16 (int8 is for inference: rrra quantize)", p)
}

func (c TrainConfig) Validate() error {
	fin := func(x, lo, hi float64) bool { return x >= lo && x <= hi } // false for NaN
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"steps", c.Steps, 1, 1 << 30}, {"batch", c.BatchQueries, 1, 1 << 16}, {"negatives", c.Negatives, 0, 1 << 20},
		{"warm-up steps", c.WarmupSteps, 0, max(c.Steps, 0)}, {"refresh interval", c.RefreshEvery, 0, 1 << 30},
		{"checkpoint interval", c.CheckpointEvery, 0, 1 << 30}, {"stop step", c.StopAt, 0, 1 << 30},
		{"evaluation interval", c.EvalEvery, 0, 1 << 30}, {"log interval", c.LogEvery, 0, 1 << 30},
	} {
		if f.v < f.lo || f.v > f.hi {
			return fmt.Errorf("retrieval: train: %s %d: want %d to %d", f.name, f.v, f.lo, f.hi)
		}
	}
	for _, f := range []struct {
		name      string
		v, lo, hi float64
	}{{"learning rate", c.LR, 0, 10}, {"weight decay", c.WeightDecay, 0, 10}, {"clip norm", c.ClipNorm, 0, 1e6},
		{"crop fraction (min)", c.CropMin, 0, 1}, {"crop fraction (max)", c.CropMax, 0, 1}} {
		if !fin(f.v, f.lo, f.hi) {
			return fmt.Errorf("retrieval: train: %s %g: want %g to %g", f.name, f.v, f.lo, f.hi)
		}
	}
	if c.CropMin > 0 && c.CropMax > 0 && c.CropMin > c.CropMax {
		return fmt.Errorf("retrieval: train: crop fractions %g–%g: the first must not exceed the second", c.CropMin, c.CropMax)
	}
	switch c.InitialPool {
	case PoolNone, PoolBM25, PoolDense:
	default:
		return fmt.Errorf("retrieval: train: initial pool %q: want bm25 or dense", c.InitialPool)
	}
	if err := CheckTrainPrecision(c.Precision); err != nil {
		return fmt.Errorf("retrieval: train: %w", err)
	}
	return nil
}

// An Evaluator measures the model during training (on a dev split) and
// returns named figures for the log, the first of which is the one to
// watch.
type Evaluator func(enc *Encoder, step int) ([]Figure, error)

// A Figure is a named value for the training log.
type Figure struct {
	Name  string
	Value float64
}

// A Trainer trains a bi-encoder with in-batch and hard-negative InfoNCE.
type Trainer struct {
	Cfg     TrainConfig
	Data    *TrainData
	Bi      *nn.BiEncoder
	Params  *autograd.Params // the parameters of both towers
	Enc     *Encoder         // encodes for refreshes and evaluation
	Sampler Sampler
	BM25    *bm25.Index // for a bm25 pool; nil: built from Data when needed
	Eval    Evaluator   // may be nil
	// OnNegatives, when set, sees every query's sampled hard negatives
	// and the pool they were drawn from, with its scores (nil for samplers
	// without a pool), for experiments that count planted false negatives
	// among them and measure their hardness.
	OnNegatives func(query int, negatives []int32, pool []Candidate)
	// OnStep, when set, sees every step's end: the steps done, the run's
	// total and the step's loss (for progress displays).
	OnStep func(done, total int, loss float64)
	// FixedPool, when set, is the pool for a sampler whose PoolSource is
	// "file": negatives given up front (a training file from rrra mine),
	// used as they are and never re-mined.
	FixedPool *Pool
	// Aux, when set, adds a term to every supervised step's loss, on the
	// same pooled vectors, so that its gradient reaches the encoder (RRRA's
	// stage 3: InfoNCE + λ_ad·L_adapter).
	Aux AuxLoss
	Log io.Writer // progress and the run log; nil: discard

	// Refreshes counts the dense pools mined so far in this process.
	Refreshes int
	// History holds one record per logged step.
	History []StepRecord
	// Stats counts what the sampler kept and dropped.
	Stats SampleStats

	pool   *Pool
	runKey runKey // what a checkpoint of this run belongs to (with Cfg.Checkpoint)
	tape   *autograd.Tape
	state  nn.TrainState
	sched  nn.LinearSchedule
	perm   []int
	epoch  int
	qb     wordpiece.Batch
	db     wordpiece.Batch
}

// An AuxLoss is a further training term on a batch's pooled vectors.
type AuxLoss interface {
	// Loss returns the term (a scalar on tp, already weighted) for a batch
	// of queries (q [B, h], training query indices) and their documents
	// (d [B·group, h], corpus indices; document i·group is query i's
	// positive, the others its sampled negatives), or nil for none. It may
	// use parameters of its own, whose gradients the backward pass fills.
	Loss(tp *autograd.Tape, q, d *autograd.Var, queries []int, docs []int32, group int) *autograd.Var
	// Step updates the term's own parameters after the backward pass.
	Step()
}

// StepRecord is one point of the training curve.
type StepRecord struct {
	Step    int
	Loss    float64 // mean loss over the steps since the last record
	LR      float64
	Figures []Figure // evaluation figures, when evaluated at this step
}

func (t *Trainer) logf(format string, args ...any) {
	if t.Log != nil {
		fmt.Fprintf(t.Log, format, args...)
	}
}

// Run trains for Cfg.Steps steps, resuming from Cfg.Checkpoint when it
// exists, and returns the final evaluation figures (nil without an
// Evaluator). When Enc.Model names no max_seq_length, Run sets it to
// Enc.DocMaxLen, the length the model is trained at, so that the folder
// nn.SaveBiEncoder writes truncates in sentence-transformers as here.
func (t *Trainer) Run() ([]Figure, error) {
	c := &t.Cfg
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := nn.CheckTemperature(t.Bi.Temperature); err != nil {
		return nil, fmt.Errorf("retrieval: train: %w", err)
	}
	if c.InitialPool == "" {
		c.InitialPool = "bm25"
	}
	if c.InitialPool != "bm25" && c.InitialPool != "dense" {
		return nil, fmt.Errorf("retrieval: train: initial pool %q: want bm25 or dense", c.InitialPool)
	}
	if c.LogEvery <= 0 {
		c.LogEvery = 50
	}
	t.Bi.Query.Recompute, t.Bi.Doc.Recompute = c.Recompute, c.Recompute
	if m := t.Enc.Model; m != nil && m.MaxSeqLength == 0 {
		// The model names no max_seq_length: record the document length
		// it is trained at, so that a saved sentence-transformers folder
		// truncates in Python as rrra trained (Python would otherwise
		// take the tokenizer's limit, 512).
		m.MaxSeqLength = t.Enc.DocMaxLen
	}
	if c.Crops {
		if c.CropMin == 0 {
			c.CropMin = 0.1
		}
		if c.CropMax == 0 {
			c.CropMax = 0.5
		}
		if !(0 < c.CropMin && c.CropMin <= c.CropMax && c.CropMax <= 1) {
			return nil, fmt.Errorf("retrieval: train: crop fractions %g–%g", c.CropMin, c.CropMax)
		}
		c.Negatives = 0
	}
	// Training texts get the model's prompts, as Queries and Docs give
	// them at inference (a model that pools without them is refused).
	for _, p := range []string{t.Enc.QueryPrompt, t.Enc.DocPrompt} {
		if _, err := t.Enc.prompted(nil, p); err != nil {
			return nil, fmt.Errorf("retrieval: train: %w", err)
		}
	}
	src := t.Sampler.PoolSource()
	if c.Negatives > 0 && t.BM25 == nil && (src == "bm25" || (src == "dense" && c.InitialPool == "bm25")) {
		// The pool the sampler needs first is BM25's: build it.
		t.BM25 = BuildBM25(t.Data)
		t.logf("indexed %d documents with BM25 for the initial pool\n", len(t.Data.Docs))
	}

	if c.Checkpoint != "" {
		t.runKey = t.key()
	}
	t.tape = autograd.NewTape(c.Seed ^ 0x7261)
	t.tape.SetBF16(c.Precision == "bf16")
	t.state = nn.TrainState{Opt: nn.NewAdamW(t.Params, nn.AdamWConfig{WeightDecay: c.WeightDecay}), RNG: t.tape.RNG()}
	t.sched = nn.LinearSchedule{Peak: c.LR, Warmup: c.WarmupSteps, Total: c.Steps}
	t.epoch = -1
	start := 0
	if c.Checkpoint != "" {
		if _, err := os.Stat(c.Checkpoint); err == nil {
			if _, err := nn.LoadCheckpoint(c.Checkpoint, t.Params, &t.state); err != nil {
				return nil, err
			}
			if err := t.checkRun(); err != nil {
				return nil, err
			}
			start = t.state.Opt.StepCount()
			if b, ok := t.state.Extra["pool"]; ok {
				t.pool = &Pool{}
				if err := t.pool.UnmarshalBinary(b); err != nil {
					return nil, fmt.Errorf("%s: %w", c.Checkpoint, err)
				}
				// The vectors it was mined from are gone: a pool watcher
				// sees it without them.
				if err := t.observe(nil, nil); err != nil {
					return nil, err
				}
			}
			for key, x := range map[string]any{"sampler": t.Sampler, "aux": t.Aux} {
				b, saved := t.state.Extra[key]
				if s, ok := x.(StateSaver); ok && saved {
					if err := s.UnmarshalState(b); err != nil {
						return nil, fmt.Errorf("%s: %s state: %w", c.Checkpoint, key, err)
					}
				}
			}
			t.logf("resumed from %s at step %d\n", c.Checkpoint, start)
		}
	}
	if c.Crops {
		t.logf("train (unsupervised, crops of %g–%g of a document's words): %d documents; %d steps of %d crop pairs; lr %g warm-up %d; seed %d\n",
			c.CropMin, c.CropMax, len(t.Data.Docs), c.Steps, c.BatchQueries, c.LR, c.WarmupSteps, c.Seed)
	} else {
		t.logf("train: %d queries, %d documents; %d steps of %d queries × (1 + %d negatives); sampler %s %s; lr %g warm-up %d; refresh every %d; seed %d\n",
			len(t.Data.Queries), len(t.Data.Docs), c.Steps, c.BatchQueries, c.Negatives, t.Sampler.Name(), t.Sampler.Params(),
			c.LR, c.WarmupSteps, c.RefreshEvery, c.Seed)
	}
	began := time.Now()
	lossSum, lossN := 0.0, 0
	var final []Figure
	end := c.Steps
	if c.StopAt > 0 && c.StopAt < end {
		end = c.StopAt
	}
	for step := start; step < end; step++ {
		if err := t.maybeMine(step); err != nil {
			return nil, err
		}
		loss, err := t.step(step)
		if err != nil {
			return nil, fmt.Errorf("retrieval: train: step %d: %w", step, err)
		}
		lossSum += loss
		lossN++
		done := step + 1
		if t.OnStep != nil {
			t.OnStep(done, c.Steps, loss)
		}
		last := done == end
		rec := StepRecord{Step: done, LR: t.sched.LR(step)}
		logged := false
		if done%c.LogEvery == 0 || last {
			rec.Loss = lossSum / float64(lossN)
			el := time.Since(began).Seconds()
			rate := float64(done-start) / el
			eta := time.Duration(float64(c.Steps-done) / rate * float64(time.Second)).Round(time.Second)
			t.logf("step %d/%d  loss %.4f  lr %.2e  %.2f steps/s  %.0f queries/s  eta %v\n",
				done, c.Steps, rec.Loss, rec.LR, rate, rate*float64(c.BatchQueries), eta)
			lossSum, lossN = 0, 0
			logged = true
		}
		if t.Eval != nil && ((c.EvalEvery > 0 && done%c.EvalEvery == 0) || last) {
			figs, err := t.Eval(t.Enc, done)
			if err != nil {
				return nil, err
			}
			rec.Figures = figs
			final = figs
			t.logf("eval at step %d:", done)
			for _, f := range figs {
				t.logf("  %s %.4f", f.Name, f.Value)
			}
			t.logf("\n")
			logged = true
		}
		if logged {
			t.History = append(t.History, rec)
		}
		if c.Checkpoint != "" && ((c.CheckpointEvery > 0 && done%c.CheckpointEvery == 0) || last) {
			if err := t.save(); err != nil {
				return nil, err
			}
		}
	}
	if !c.Crops {
		t.logf("sampling: %s\n", t.Stats.String())
	}
	return final, nil
}

// runKey identifies what a checkpoint belongs to: the training data
// (sha256 over every document, query and judgement, in order) and the
// settings that shape the run. A checkpoint resumed against other data
// would index documents that are not there, or others than it mined.
type runKey struct {
	Data   string `json:"data_sha256"`
	Config string `json:"config"`
}

// key returns t's runKey.
func (t *Trainer) key() runKey {
	h := sha256.New()
	str := func(s string) { fmt.Fprintf(h, "%d:%s", len(s), s) }
	d := t.Data
	fmt.Fprintf(h, "docs %d queries %d\n", len(d.Docs), len(d.Queries))
	for i := range d.Docs {
		str(d.DocIDs[i])
		str(d.Docs[i])
	}
	for i := range d.Queries {
		str(d.QueryIDs[i])
		str(d.Queries[i])
		fmt.Fprint(h, d.Positives[i])
	}
	c := t.Cfg
	sampler := ""
	if t.Sampler != nil {
		sampler = t.Sampler.Name() + " " + t.Sampler.Params()
	}
	cfg := fmt.Sprintf("steps=%d batch=%d negatives=%d lr=%g warmup=%d weight_decay=%g clip=%g refresh=%d initial_pool=%s seed=%d crops=%v sampler=%s",
		c.Steps, c.BatchQueries, c.Negatives, c.LR, c.WarmupSteps, c.WeightDecay, c.ClipNorm, c.RefreshEvery, c.InitialPool, c.Seed, c.Crops, sampler)
	if c.Crops {
		cfg += fmt.Sprintf(" crop=%g-%g", c.CropMin, c.CropMax)
	}
	if c.Precision == "bf16" { // fp32 keys stay what they were
		cfg += " precision=bf16"
	}
	return runKey{Data: hex.EncodeToString(h.Sum(nil)), Config: cfg}
}

// checkRun refuses a loaded checkpoint written for other training data or
// other settings. Checkpoints written before the key was recorded pass.
func (t *Trainer) checkRun() error {
	b, ok := t.state.Extra["run"]
	if !ok {
		return nil
	}
	var saved runKey
	if err := json.Unmarshal(b, &saved); err != nil {
		return fmt.Errorf("retrieval: train: checkpoint %s: field extra.run: %v", t.Cfg.Checkpoint, err)
	}
	now := t.runKey
	switch {
	case saved.Data != now.Data:
		return fmt.Errorf("retrieval: train: checkpoint %s was written for other training data (sha256 %.12s…; this run's is %.12s…): resuming it would train on documents it does not know; remove it or name another --checkpoint",
			t.Cfg.Checkpoint, saved.Data, now.Data)
	case saved.Config != now.Config:
		return fmt.Errorf("retrieval: train: checkpoint %s was written with other settings (%s; this run: %s): remove it or name another --checkpoint",
			t.Cfg.Checkpoint, saved.Config, now.Config)
	}
	return nil
}

func (t *Trainer) save() error {
	t.state.Extra = map[string][]byte{}
	key, err := json.Marshal(t.runKey)
	if err != nil {
		return err
	}
	t.state.Extra["run"] = key
	if t.pool != nil {
		b, err := t.pool.MarshalBinary()
		if err != nil {
			return err
		}
		t.state.Extra["pool"] = b
	}
	for key, x := range map[string]any{"sampler": t.Sampler, "aux": t.Aux} {
		if s, ok := x.(StateSaver); ok {
			b, err := s.MarshalState()
			if err != nil {
				return fmt.Errorf("retrieval: train: %s state: %w", key, err)
			}
			t.state.Extra[key] = b
		}
	}
	return nn.SaveCheckpoint(t.Cfg.Checkpoint, t.Params, t.state)
}

// maybeMine builds or refreshes the pool the sampler reads, before step.
func (t *Trainer) maybeMine(step int) error {
	c := &t.Cfg
	if c.Negatives == 0 || c.Crops {
		return nil
	}
	switch t.Sampler.PoolSource() {
	case "file":
		if t.FixedPool == nil {
			return errors.New("retrieval: train: the sampler reads a training file's negatives, and none were given")
		}
		t.pool = t.FixedPool
	case "bm25":
		if t.pool == nil {
			t.pool = MineBM25(t.Data, t.BM25, t.Sampler.PoolK())
			t.logf("mined a BM25 pool of %d per query\n", t.Sampler.PoolK())
			return t.observe(nil, nil)
		}
	case "dense":
		due := t.pool == nil && c.InitialPool == "dense"
		if t.pool != nil && t.pool.Source == "dense" && c.RefreshEvery > 0 && step-t.pool.Step >= c.RefreshEvery {
			due = true
		}
		if t.pool != nil && t.pool.Source == "bm25" && c.RefreshEvery > 0 && step > 0 && step%c.RefreshEvery == 0 {
			due = true
		}
		if t.pool == nil && !due {
			t.pool = MineBM25(t.Data, t.BM25, t.Sampler.PoolK())
			t.logf("mined the initial BM25 pool of %d per query\n", t.Sampler.PoolK())
			return t.observe(nil, nil)
		}
		if due {
			began := time.Now()
			p, qv, dv, err := t.mineDense(step)
			if err != nil {
				return err
			}
			t.pool = p
			t.Refreshes++
			t.logf("refreshed the dense pool at step %d in %.1fs\n", step, time.Since(began).Seconds())
			return t.observe(qv, dv)
		}
	}
	return nil
}

// observe hands a new pool to a sampler that watches pools.
func (t *Trainer) observe(qv, dv []float32) error {
	if o, ok := t.Sampler.(PoolObserver); ok {
		if err := o.ObservePool(t.pool, t.Data, qv, dv, t.Enc.Dim()); err != nil {
			return fmt.Errorf("retrieval: train: sampler %s: %w", t.Sampler.Name(), err)
		}
	}
	return nil
}

func (t *Trainer) mineDense(step int) (*Pool, []float32, []float32, error) {
	p, qv, dv, err := MineWith(t.Enc, t.Data, t.Sampler.PoolK(), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	p.Step = step
	return p, qv, dv, nil
}

// example returns the training query (the document, with Crops) at data
// position pos: a fresh seeded permutation per epoch, so the order is fixed
// by the seed and the position alone.
func (t *Trainer) example(pos int64) int {
	n := len(t.Data.Queries)
	if t.Cfg.Crops {
		n = len(t.Data.Docs)
	}
	e := int(pos / int64(n))
	if e != t.epoch {
		r := rand.New(rand.NewPCG(t.Cfg.Seed, 1<<40+uint64(e)))
		t.perm = r.Perm(n)
		t.epoch = e
	}
	return t.perm[pos%int64(n)]
}

// step trains on the next batch and returns its loss.
func (t *Trainer) step(step int) (float64, error) {
	c := &t.Cfg
	rng := rand.New(rand.NewPCG(c.Seed, uint64(step)))
	B, G := c.BatchQueries, 1+c.Negatives
	qTexts := make([]string, 0, B)
	dTexts := make([]string, 0, B*G)
	queries := make([]int, 0, B)
	docs := make([]int32, 0, B*G)
	if c.Crops {
		return t.cropStep(rng)
	}
	for i := 0; i < B; i++ {
		q := t.example(t.state.DataPos)
		t.state.DataPos++
		queries = append(queries, q)
		pos := t.Data.Positives[q]
		pi := rng.IntN(len(pos))
		in := SampleInput{Query: q, Positives: pos, NumDocs: len(t.Data.Docs)}
		if t.pool != nil {
			in.Cands = t.pool.Cands[q]
			in.PosScore = t.pool.PosScores[q][pi]
		}
		docs = append(docs, pos[pi])
		if c.Negatives > 0 {
			n0 := len(docs)
			docs = t.Sampler.Sample(rng, &in, c.Negatives, docs, &t.Stats)
			if len(docs)-n0 != c.Negatives {
				return 0, fmt.Errorf("sampler %s gave %d negatives for query %s, want %d",
					t.Sampler.Name(), len(docs)-n0, t.Data.QueryIDs[q], c.Negatives)
			}
			if t.OnNegatives != nil {
				t.OnNegatives(q, docs[n0:], in.Cands)
			}
		}
		qTexts = append(qTexts, t.Enc.QueryPrompt+t.Data.Queries[q])
	}
	for _, d := range docs {
		dTexts = append(dTexts, t.Enc.DocPrompt+t.Data.Docs[d])
	}
	// Mask each query's known positives and copies of its positive's text
	// among the batch's documents, except its own positive.
	mask := tensor.New(tensor.S(B, B*G))
	for i, q := range queries {
		target := docs[i*G]
		for j, d := range docs {
			if j == i*G {
				continue
			}
			if t.Data.isPositive(q, d) || t.Data.canon[d] == t.Data.canon[target] {
				mask.Data[i*B*G+j] = nn.MaskedOut
			}
		}
	}
	return t.update(qTexts, dTexts, G, mask, queries, docs)
}

// update takes one optimizer step on the InfoNCE loss of the batch (plus
// Aux's term, when queries are given) and returns the loss.
func (t *Trainer) update(qTexts, dTexts []string, G int, mask *tensor.Tensor, queries []int, docs []int32) (float64, error) {
	c := &t.Cfg
	t.Enc.Tok.EncodeBatch(&t.qb, qTexts, t.Enc.QueryMaxLen)
	t.Enc.Tok.EncodeBatch(&t.db, dTexts, t.Enc.DocMaxLen)
	qMask, err := tensor.FromData(tensor.S(t.qb.B, t.qb.T), t.qb.Mask)
	if err != nil {
		return 0, err
	}
	dMask, err := tensor.FromData(tensor.S(t.db.B, t.db.T), t.db.Mask)
	if err != nil {
		return 0, err
	}
	t.tape.Reset()
	t.tape.SetTraining(true)
	t.Params.ZeroGrad()
	q := t.Bi.Encode(t.tape, t.Bi.Query, t.qb.IDs, qMask)
	d := t.Bi.Encode(t.tape, t.Bi.Doc, t.db.IDs, dMask)
	loss := t.Bi.InfoNCEVectors(t.tape, q, d, G, mask)
	aux := t.Aux != nil && queries != nil
	if aux {
		if extra := t.Aux.Loss(t.tape, q, d, queries, docs, G); extra != nil {
			loss = t.tape.Add(loss, extra)
		}
	}
	if err := t.tape.Backward(loss); err != nil {
		return 0, err
	}
	if aux {
		t.Aux.Step()
	}
	// The norm (clipping when asked; +Inf scales nothing) also screens the
	// gradient: a NaN or infinite one stops the run before the optimizer
	// step, so the weights and the last checkpoint stay as they were.
	maxNorm := math.Inf(1)
	if c.ClipNorm > 0 {
		maxNorm = c.ClipNorm
	}
	if norm := nn.ClipGradNorm(t.Params, maxNorm); math.IsNaN(norm) || math.IsInf(norm, 0) {
		return 0, fmt.Errorf("the gradient norm is %v: stopped before the optimizer step (weights and checkpoint unchanged)", norm)
	}
	t.state.Opt.Step(t.sched.LR(t.state.Opt.StepCount()))
	l := float64(loss.Data()[0])
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return 0, fmt.Errorf("loss is %v", l)
	}
	return l, nil
}

// cropStep trains on a batch of documents, each seen through two
// independent random crops; a document's crops are its own positive and
// every other document of the batch (except copies of its text) is a
// negative.
func (t *Trainer) cropStep(rng *rand.Rand) (float64, error) {
	B := t.Cfg.BatchQueries
	docs := make([]int32, 0, B)
	qTexts := make([]string, 0, B)
	dTexts := make([]string, 0, B)
	for i := 0; i < B; i++ {
		d := int32(t.example(t.state.DataPos))
		t.state.DataPos++
		docs = append(docs, d)
		words := strings.Fields(t.Data.Docs[d])
		qTexts = append(qTexts, t.Enc.QueryPrompt+t.crop(rng, words))
		dTexts = append(dTexts, t.Enc.DocPrompt+t.crop(rng, words))
	}
	mask := tensor.New(tensor.S(B, B))
	for i := range docs {
		for j := range docs {
			if i != j && t.Data.canon[docs[i]] == t.Data.canon[docs[j]] {
				mask.Data[i*B+j] = nn.MaskedOut
			}
		}
	}
	return t.update(qTexts, dTexts, 1, mask, nil, nil)
}

// crop returns a random span of CropMin–CropMax of words (at least one).
func (t *Trainer) crop(rng *rand.Rand, words []string) string {
	if len(words) == 0 {
		return ""
	}
	lo := int(math.Ceil(t.Cfg.CropMin * float64(len(words))))
	hi := int(math.Ceil(t.Cfg.CropMax * float64(len(words))))
	lo, hi = max(lo, 1), max(hi, 1)
	n := lo + rng.IntN(hi-lo+1)
	start := rng.IntN(len(words) - n + 1)
	return strings.Join(words[start:start+n], " ")
}
