package retrieval

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
)

func res(id string, score float64) metrics.Result {
	return metrics.Result{DocID: id, Score: score}
}

func TestFuseRRF(t *testing.T) {
	a := metrics.Run{"q": {res("d1", 3), res("d2", 2), res("d3", 1)}}
	b := metrics.Run{"q": {res("d3", 0.9), res("d1", 0.5)}, "r": {res("x", 1)}}
	got, err := FuseRRF([]metrics.Run{a, b}, 60, 10)
	if err != nil {
		t.Fatal(err)
	}
	// d1: 1/61 + 1/62, d3: 1/63 + 1/61, d2: 1/62.
	want := metrics.Run{
		"q": {res("d1", 1.0/61+1.0/62), res("d3", 1.0/63+1.0/61), res("d2", 1.0/62)},
		"r": {res("x", 1.0/61)},
	}
	for q := range want {
		if len(got[q]) != len(want[q]) {
			t.Fatalf("%s: %v, want %v", q, got[q], want[q])
		}
		for i := range want[q] {
			if got[q][i].DocID != want[q][i].DocID || math.Abs(got[q][i].Score-want[q][i].Score) > 1e-15 {
				t.Errorf("%s[%d]: %v, want %v", q, i, got[q][i], want[q][i])
			}
		}
	}
	// Ties in the fused score follow trec_eval's order (document id descending),
	// and depth cuts.
	if got, err = FuseRRF([]metrics.Run{{"q": {res("a", 1), res("b", 1)}}}, 60, 1); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got["q"], []metrics.Result{res("b", 1.0/61)}) {
		t.Errorf("tie and depth: %v", got["q"])
	}
}

// TestFuseRRFDomain checks out-of-domain fusion constants and depths are
// refused rather than turned into infinite or negative scores (k ≤ 0) or a
// panic (a negative depth).
func TestFuseRRFDomain(t *testing.T) {
	runs := []metrics.Run{{"q": {res("a", 1), res("b", 0.5)}}}
	for _, c := range []struct {
		k     float64
		depth int
	}{{0, 10}, {-60, 10}, {math.NaN(), 10}, {math.Inf(1), 10}, {60, -1}} {
		if _, err := FuseRRF(runs, c.k, c.depth); err == nil || !strings.Contains(err.Error(), "want k finite and > 0") {
			t.Errorf("k=%g depth=%d: err %v", c.k, c.depth, err)
		}
	}
}

// TestTrainConfigValidate checks every numeric field of TrainConfig is
// refused outside its domain, before any work.
func TestTrainConfigValidate(t *testing.T) {
	good := TrainConfig{Steps: 10, BatchQueries: 4, Negatives: 1, LR: 1e-3, WarmupSteps: 1, WeightDecay: 0.01, ClipNorm: 1}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(c *TrainConfig)
		want string
	}{
		{"steps 0", func(c *TrainConfig) { c.Steps = 0 }, "steps 0"},
		{"batch -1", func(c *TrainConfig) { c.BatchQueries = -1 }, "batch -1"},
		{"batch huge", func(c *TrainConfig) { c.BatchQueries = 1 << 40 }, "batch 1099511627776"},
		{"negatives -5", func(c *TrainConfig) { c.Negatives = -5 }, "negatives -5"},
		{"warm-up past steps", func(c *TrainConfig) { c.WarmupSteps = 11 }, "warm-up steps 11"},
		{"warm-up -1", func(c *TrainConfig) { c.WarmupSteps = -1 }, "warm-up steps -1"},
		{"lr NaN", func(c *TrainConfig) { c.LR = math.NaN() }, "learning rate NaN"},
		{"lr -1", func(c *TrainConfig) { c.LR = -1 }, "learning rate -1"},
		{"weight decay Inf", func(c *TrainConfig) { c.WeightDecay = math.Inf(1) }, "weight decay +Inf"},
		{"clip -1", func(c *TrainConfig) { c.ClipNorm = -1 }, "clip norm -1"},
		{"refresh -1", func(c *TrainConfig) { c.RefreshEvery = -1 }, "refresh interval -1"},
		{"checkpoint every -1", func(c *TrainConfig) { c.CheckpointEvery = -1 }, "checkpoint interval -1"},
		{"eval every -1", func(c *TrainConfig) { c.EvalEvery = -1 }, "evaluation interval -1"},
		{"log every -1", func(c *TrainConfig) { c.LogEvery = -1 }, "log interval -1"},
		{"stop at -1", func(c *TrainConfig) { c.StopAt = -1 }, "stop step -1"},
		{"crop max 2", func(c *TrainConfig) { c.CropMax = 2 }, "crop fraction (max) 2"},
		{"crops reversed", func(c *TrainConfig) { c.CropMin, c.CropMax = 0.5, 0.2 }, "crop fractions 0.5–0.2"},
		{"pool sparse", func(c *TrainConfig) { c.InitialPool = "sparse" }, `initial pool "sparse"`},
		{"precision int8", func(c *TrainConfig) { c.Precision = "int8" }, `precision "int8": want fp32 or bf16`},
	} {
		cfg := good
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

// TestEncoderBatching checks a text's vector does not depend on the batch
// it is encoded in or on the order of the texts.
// testEncoder returns a mini bi-encoder (random weights) on a small
// vocabulary, with texts cut to 16 tokens.
func testEncoder(t *testing.T) *Encoder {
	t.Helper()
	vocab, err := wordpiece.Train(func() func() (string, bool) {
		texts := []string{"boundary layer flow over a flat plate", "shock waves in supersonic flow", "heat transfer at the wall"}
		i := 0
		return func() (string, bool) {
			if i == len(texts)*50 {
				return "", false
			}
			i++
			return texts[i%len(texts)], true
		}
	}(), wordpiece.TrainOptions{VocabSize: 120, Lower: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := nn.Preset("mini", vocab.Len())
	m, _ := nn.NewBert(cfg, 4)
	bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true}
	return NewEncoder(bi, wordpiece.New(vocab, true), 16, 16)
}

func TestEncoderBatching(t *testing.T) {
	texts := []string{"flow", "boundary layer flow over a flat plate with heat transfer at the wall", "shock waves", "", "supersonic flow over a plate", "heat"}
	enc := testEncoder(t)
	enc.Batch = 64
	all, err := enc.Docs(texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := enc.Dim()
	for _, batch := range []int{1, 2, 4} {
		enc.Batch = batch
		rev := make([]string, len(texts))
		for i := range texts {
			rev[i] = texts[len(texts)-1-i]
		}
		got, err := enc.Docs(rev, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range texts {
			a, b := all[i*h:(i+1)*h], got[(len(texts)-1-i)*h:(len(texts)-i)*h]
			for j := range a {
				if math.Abs(float64(a[j]-b[j])) > 1e-5 {
					t.Fatalf("batch %d: text %q value %d: %v alone, %v reordered", batch, texts[i], j, a[j], b[j])
				}
			}
		}
	}
}

func TestFromExamples(t *testing.T) {
	corpus, _ := beir.NewCorpus([]beir.Doc{{ID: "d1", Text: "a"}, {ID: "d2", Text: "b"}, {ID: "d3", Title: "T", Text: "c"}})
	queries, _ := beir.NewQueries([]beir.Query{{ID: "q1", Text: "x"}})
	d := &beir.Dataset{Name: "tiny", Corpus: corpus, Queries: queries}
	s := 2.5
	ex := []beir.TrainExample{{QueryID: "q1", Query: "x", Positives: []beir.Passage{{DocID: "d3"}, {DocID: "d1"}},
		Negatives: []beir.Passage{{DocID: "d2", Score: &s}, {DocID: "d1"}}}}
	td, pool, dropped, err := FromExamples(d, ex, "train.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 1 || !reflect.DeepEqual(td.Positives, [][]int32{{0, 2}}) || !reflect.DeepEqual(pool.Cands, [][]Candidate{{{1, 2.5}}}) || td.Docs[2] != "T c" {
		t.Errorf("dropped %d, positives %v, pool %v, docs %q", dropped, td.Positives, pool.Cands, td.Docs)
	}
	ex[0].Negatives = append(ex[0].Negatives, beir.Passage{DocID: "d9"})
	if _, _, _, err := FromExamples(d, ex, "train.jsonl"); err == nil || !strings.Contains(err.Error(), `train.jsonl: example 1 (query "q1"): negative docid "d9" is not in the corpus`) {
		t.Errorf("unknown docid: %v", err)
	}
}

// TestDocTokens checks the token states against the pooled vectors: their
// mean, normalised, is what Docs returns (mean pooling), and padding is
// left out.
func TestDocTokens(t *testing.T) {
	enc := testEncoder(t)
	texts := []string{"heat", "boundary layer flow over a flat plate with heat transfer at the wall and more", "shock waves"}
	dv, err := enc.Docs(texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := enc.DocTokens(texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := enc.Dim()
	if ts.Len() != len(texts) || ts.Dim != d {
		t.Fatalf("%d documents of dimension %d", ts.Len(), ts.Dim)
	}
	for i, text := range texts {
		if want := len(enc.Tok.Encode(nil, text, enc.DocMaxLen)); ts.Tokens(i) != want {
			t.Errorf("document %d: %d token states, want %d tokens", i, ts.Tokens(i), want)
		}
		mean := make([]float64, d)
		for j := 0; j < ts.Tokens(i); j++ {
			for k := 0; k < d; k++ {
				mean[k] += float64(ts.Doc(i)[j*d+k])
			}
		}
		norm := 0.0
		for _, x := range mean {
			norm += x * x
		}
		for k := 0; k < d; k++ {
			if got, want := mean[k]/math.Sqrt(norm), float64(dv[i*d+k]); math.Abs(got-want) > 1e-5 {
				t.Fatalf("document %d, value %d: normalised token mean %v, pooled %v", i, k, got, want)
			}
		}
	}
}
