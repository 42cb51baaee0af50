package adapter

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

// TestResumeExact trains a small model on Cranfield with the RRRA sampler
// and the stage-3 term, refitting every 3 steps, and checks that a run
// stopped at step 4 and resumed from its checkpoint ends with exactly the
// encoder and adapter weights of a run never stopped: the checkpoint
// carries the adapters, their estimates and the stage-3 optimizer. The
// check fails without them (the resumed run would sample from the base
// distribution until its next refresh).
func TestResumeExact(t *testing.T) {
	if testing.Short() {
		t.Skip("trains RRRA with stage 3 on Cranfield twice: full suite only (-short skips it; under qemu it takes many minutes)")
	}
	fsys, name, err := beir.Open("cranfield")
	if err != nil {
		t.Fatal(err)
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	train, _, err := d.Qrels("train")
	if err != nil {
		t.Fatal(err)
	}
	td, _, err := retrieval.NewTrainData(d, train)
	if err != nil {
		t.Fatal(err)
	}
	vocab, err := wordpiece.TrainTexts(td.Docs, wordpiece.TrainOptions{VocabSize: 800, Lower: true})
	if err != nil {
		t.Fatal(err)
	}
	bm := retrieval.BuildBM25(td)
	run := func(ckpt string, stopAt int) ([]float32, []float32) {
		bc, _ := nn.Preset("mini", vocab.Len())
		m, _ := nn.NewBert(bc, 3)
		bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true, Temperature: 0.05}
		enc := retrieval.NewEncoder(bi, wordpiece.New(vocab, true), 16, 32)
		cfg := DefaultSamplerConfig()
		cfg.K, cfg.Label.KLab, cfg.Fit.Epochs, cfg.Label.Seed, cfg.Fit.Seed = 20, 30, 2, 4, 4
		s, err := NewSampler(cfg, enc.Dim(), 4)
		if err != nil {
			t.Fatal(err)
		}
		j, err := NewJoint(s, td, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		tr := &retrieval.Trainer{Cfg: retrieval.TrainConfig{Steps: 8, BatchQueries: 4, Negatives: 2, LR: 1e-3, WarmupSteps: 2,
			ClipNorm: 1, RefreshEvery: 3, Seed: 5, LogEvery: 100, Checkpoint: ckpt, StopAt: stopAt},
			Data: td, Bi: bi, Params: m.Params, Enc: enc, Sampler: s, BM25: bm, Aux: j}
		if _, err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		var ad []float32
		for _, a := range s.Adapters {
			ad = append(ad, a.Params.Data()...)
		}
		return m.Params.Data(), ad
	}
	wantEnc, wantAd := run("", 0)
	ckpt := filepath.Join(t.TempDir(), "ckpt.safetensors")
	run(ckpt, 4)
	gotEnc, gotAd := run(ckpt, 0)
	for name, pair := range map[string][2][]float32{"encoder": {wantEnc, gotEnc}, "adapter": {wantAd, gotAd}} {
		for i := range pair[0] {
			if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
				t.Fatalf("%s value %d: %v resumed, %v straight", name, i, pair[1][i], pair[0][i])
			}
		}
	}
}

// TestStateTruncated checks that every truncation of a sampler's and a
// joint term's state is refused with an error, and the whole restores.
func TestStateTruncated(t *testing.T) {
	j, _, _, _ := jointSetup(t)
	s := j.S
	for name, x := range map[string]interface {
		MarshalState() ([]byte, error)
		UnmarshalState([]byte) error
	}{"sampler": s, "joint": j} {
		b, err := x.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n += 1 + n/50 {
			if err := x.UnmarshalState(b[:n]); err == nil {
				t.Fatalf("%s: a state cut to %d of %d bytes was accepted", name, n, len(b))
			}
		}
		if err := x.UnmarshalState(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if s.Fits != 1 || len(s.SFN) != 40 {
		t.Errorf("restored %d fits, %d rows of s_FN", s.Fits, len(s.SFN))
	}
}
