package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/bench/plots"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

const trainSynopsis = `train [--data DIR] --out MODEL [flags]

Trains a bi-encoder on a BEIR folder's training split with in-batch and
hard-negative InfoNCE, and writes it as a bi-encoder directory (a Hugging
Face BERT directory plus rrra_biencoder.json). Without --model it trains
from scratch (--config mini|tiny|small) with the vocabulary --vocab, or one
learned from the corpus (--vocab-size). Evaluation uses the dev split when
the folder has one, else --dev-frac of the training queries carved off
deterministically. --checkpoint makes the run resumable: run the same
command again after a crash and it continues exactly.

Samplers (--sampler, parameters with --sampler-params k=200,a=0.5):
random, bm25 (uniform over the BM25 top k), topk-uniform (ANCE), simans,
positive-aware (NV-Retriever TopK-PercPos). A dense pool is mined with BM25
until the first refresh (--initial-pool dense: by the model at step 0) and
re-mined every --refresh steps.

--crops trains without labels on the corpus alone: each step pairs two
random crops (10–50% of the words) of each of --batch documents, with
in-batch negatives. A model trained from scratch on a few hundred queries
learns more from such a warm-up first. Examples:

	rrra train --data cranfield --crops --steps 300 --out warm
	rrra train --data cranfield --model warm --lr 1e-3 --out model`

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", trainSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	out := fs.String("out", "", "bi-encoder directory to write, replaced whole: it ends up holding exactly the files train writes (others in it are removed); a non-empty folder that is not a model folder is refused")
	split := fs.String("split", "train", "training split")
	crops := fs.Bool("crops", false, "unsupervised: train on pairs of random crops of the same document (Contriever), no labels; then fine-tune with --model")
	trainFile := fs.String("train-file", "", "train on this Tevatron JSONL (from rrra mine) instead of mining: its queries, positives and negatives")
	devFrac := fs.Float64("dev-frac", 0.1, "share of training queries carved off for evaluation when there is no dev split")
	modelDir := fs.String("model", "", "start from this model or bi-encoder directory")
	config := fs.String("config", "tiny", "from scratch: mini, tiny, small, or a config.json")
	vocabPath := fs.String("vocab", "", "from scratch: vocab.txt (default: learn one from the corpus)")
	vocabSize := fs.Int("vocab-size", 8192, "from scratch: size of the vocabulary learned from the corpus")
	pooling := fs.String("pooling", "", "pooling: mean or cls (default: the model folder's; mean from scratch)")
	temp := fs.Float64("temperature", 0.05, "softmax temperature on cosine scores")
	sampler := fs.String("sampler", "bm25", "negative sampler: "+strings.Join(retrieval.SamplerNames, ", ")+", rrra")
	samplerParams := fs.String("sampler-params", "", "sampler parameters, as k=100,a=0.5; for rrra, when not given, "+adapter.RecommendedParams+
		" (the best false-negative finder measured: chosen on Cranfield, confirmed on SciFact; docs/quality.md), and when given, these on top of the defaults listed: "+rrraParamsHelp())
	negatives := fs.Int("negatives", 1, "hard negatives per query")
	batch := fs.Int("batch", 32, "queries per step")
	steps := fs.Int("steps", 1000, "optimizer steps")
	lr := fs.Float64("lr", 0, "peak learning rate (0: 5e-4 from scratch, 3e-5 from --model)")
	warmup := fs.Int("warmup", -1, "warm-up steps (-1: 10% of --steps)")
	wd := fs.Float64("weight-decay", 0.01, "AdamW weight decay")
	clip := fs.Float64("clip", 1, "gradient norm clip (0: none)")
	precision := fs.String("precision", "fp32", "arithmetic of the training step's matrix products: fp32, or bf16 (bfloat16 operands, float32 sums, float32 weights and checkpoints; faster only where the CPU's bfloat16 dot product outruns its float32 FMA: docs/precision.md)")
	recompute := fs.Bool("recompute", false, "activation checkpointing: keep each layer's input only and recompute its activations in backward (less memory, one more forward pass; same results)")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: the folder's max_seq_length, else 32, within the model's limit)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: the folder's max_seq_length, else 128, within the model's limit)")
	refresh := fs.Int("refresh", 0, "re-mine the dense pool every N steps (0: never)")
	initialPool := fs.String("initial-pool", "", "pool before the first refresh: bm25 or dense (default: dense for --sampler rrra, whose adapters judge the model's own candidates; bm25 otherwise)")
	seed := fs.Uint64("seed", 1, "seed for initialisation, data order and sampling")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	ckpt := fs.String("checkpoint", "", "checkpoint file: written atomically, resumed from when present")
	ckptEvery := fs.Int("checkpoint-every", 100, "steps between checkpoints")
	evalEvery := fs.Int("eval-every", 0, "steps between dev evaluations (0: only at the end)")
	logEvery := fs.Int("log-every", 50, "steps between progress lines")
	history := fs.String("history", "", "write the training curve (loss, lr, dev figures per logged step) as JSON")
	fusionFit := fs.Bool("fusion", false, "also fit a learned fusion of BM25 and this model for search --method hybrid and serve (rrra_fusion.safetensors in --out): trains two more models the same way (any --sampler, rrra included), each on half of the training queries, so that the fusion learns from dense scores out of sample (three times the training)")
	plotPath := fs.String("plot", "", "draw the training loss as a PNG, and the dev figures (with --eval-every) in NAME-dev.png beside it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("train", *qLen, *dLen, *threads, stderr); err != nil {
		return err
	}
	if *df.data == "" || *out == "" {
		fmt.Fprintln(stderr, "rrra train: --data and --out are required")
		return errUsage
	}
	// Refuse before training what the save would refuse after it.
	if err := nn.CheckSaveDir(*out); err != nil {
		return err
	}
	if *ckpt != "" && inside(*ckpt, *out) {
		return fmt.Errorf("--checkpoint %s is inside --out %s, which the trained model replaces whole: put it elsewhere", *ckpt, *out)
	}
	if *fusionFit && (*crops || *trainFile != "") {
		return fmt.Errorf("--fusion fits on labelled training queries, trained again on each half: not with --crops or --train-file")
	}
	if p := retrieval.PoolSource(*initialPool); p != retrieval.PoolNone && p != retrieval.PoolBM25 && p != retrieval.PoolDense {
		fmt.Fprintf(stderr, "rrra train: --initial-pool %q: want bm25 or dense\n", *initialPool)
		return errUsage
	}
	if err := retrieval.CheckTrainPrecision(*precision); err != nil {
		fmt.Fprintf(stderr, "rrra train: --%v\n", err)
		return errUsage
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	var err error
	var smp retrieval.Sampler
	var rrraCfg adapter.SamplerConfig
	if *sampler == "rrra" {
		rrraCfg = adapter.DefaultSamplerConfig()
		params := *samplerParams
		if !isSet(fs, "sampler-params") {
			params = adapter.RecommendedParams
		}
		if err = adapter.ParseParams(params, &rrraCfg); err != nil {
			return err
		}
		if err = rrraCfg.Validate(); err != nil {
			return err
		}
		if rrraCfg.SelfTrain > 0 && *ckpt != "" {
			// The promoted positives live in the training data, which a
			// checkpoint does not hold: a resumed run would lose them.
			return fmt.Errorf("--sampler-params self_train=%g: self-training cannot be resumed from a checkpoint yet; run it without --checkpoint", rrraCfg.SelfTrain)
		}
	} else if smp, err = retrieval.NewSampler(*sampler, *samplerParams); err != nil {
		return err
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	trainQrels, err := qrelsOf(d, *split, stderr)
	if err != nil {
		return err
	}
	var devQrels beir.Qrels
	if hasSplit(d, "dev") && *split != "dev" {
		if devQrels, err = qrelsOf(d, "dev", stderr); err != nil {
			return err
		}
	} else if *devFrac > 0 {
		trainQrels, devQrels = retrieval.SplitDev(trainQrels, *devFrac)
		fmt.Fprintf(stderr, "no dev split: carved %d of the %s queries off for evaluation (sha256 order, rrra-dev-v1)\n", len(devQrels), *split)
	}
	if *trainFile != "" && *sampler != "bm25" && *sampler != "file" {
		fmt.Fprintln(stderr, "rrra train: --train-file brings its own negatives; drop --sampler")
		return errUsage
	}
	td, fixed, err := trainingData(d, trainQrels, devQrels, *trainFile, *df.skipBad, stderr)
	if err != nil {
		return err
	}
	if fixed != nil {
		smp = retrieval.FileSampler(fixed)
	}

	enc, defLR, err := trainingModel(*modelDir, *config, *vocabPath, *vocabSize, *seed, *qLen, *dLen, td, stderr)
	if err != nil {
		return err
	}
	if *lr == 0 {
		*lr = defLR
	}
	bi, model := enc.Bi, enc.Model
	if *pooling != "" { // else the folder's, or mean from scratch
		if bi.Pooling, err = nn.ParsePooling(*pooling); err != nil {
			fmt.Fprintf(stderr, "rrra train: --%v\n", err)
			return errUsage
		}
	}
	// Training scores by cosine over the temperature: the saved folder
	// normalises (a 2_Normalize module).
	bi.Normalize = true
	bi.Temperature = float32(*temp)
	params := bi.Query.Params
	if bi.Doc != bi.Query {
		return fmt.Errorf("%s: training separate towers is not supported yet; train a shared model", *modelDir)
	}
	if *warmup < 0 {
		*warmup = *steps / 10
	}
	tr := &retrieval.Trainer{
		Cfg: retrieval.TrainConfig{Steps: *steps, BatchQueries: *batch, Negatives: *negatives, LR: *lr,
			WarmupSteps: *warmup, WeightDecay: *wd, ClipNorm: *clip, RefreshEvery: *refresh,
			InitialPool: retrieval.PoolSource(*initialPool), Seed: *seed, LogEvery: *logEvery, Checkpoint: *ckpt,
			CheckpointEvery: *ckptEvery, EvalEvery: *evalEvery, Crops: *crops, Recompute: *recompute, Precision: *precision},
		Data: td, Bi: bi, Params: params, Enc: enc, Sampler: smp, Log: stderr, FixedPool: fixed,
	}
	if isTerminal(stderr) {
		// A bar redrawn in place on a terminal, between the log lines
		// (every --log-every steps), which clear it first.
		tr.Log = &clearLine{w: stderr, tty: true}
		pr := newProgress(stderr, "train", "steps", *steps)
		tr.OnStep = func(done, total int, loss float64) { pr.update(done, fmt.Sprintf("loss %.4f", loss)) }
	}
	var rrraSampler *adapter.Sampler
	if *sampler == "rrra" {
		ts, err := adapter.NewTrainingSampler(rrraCfg, enc, td, nil, *seed)
		if err != nil {
			return err
		}
		ts.Log = stderr
		ts.Prepare(tr)
		rrraSampler, smp = ts.Sampler, ts.Sampler
	}
	if len(devQrels) > 0 {
		tr.Eval = retrieval.DenseEvaluator(td, d.SplitQueries(devQrels), devQrels, []string{"ndcg_cut_10", "recip_rank", "recall_100"}, 100)
	}
	figs, err := tr.Run()
	if err != nil {
		return err
	}
	// The fusion, fitted on models that did not see the queries it
	// learns from.
	var fusion *adapter.Fusion
	if *fusionFit {
		// The same model, made again from the same start for each half.
		makeModel := func(half *retrieval.TrainData) (*retrieval.Encoder, error) {
			e, _, err := trainingModel(*modelDir, *config, *vocabPath, *vocabSize, *seed, *qLen, *dLen, half, io.Discard)
			if err != nil {
				return nil, err
			}
			e.Bi.Pooling, e.Bi.Normalize, e.Bi.Temperature = bi.Pooling, bi.Normalize, bi.Temperature
			return e, nil
		}
		// Each half trains with a sampler of its own: the RRRA sampler
		// keeps its adapters and pools, and fits them on its half's
		// queries only.
		setSampler := func(t *retrieval.Trainer) error {
			if *sampler != "rrra" {
				t.Sampler = smp
				return nil
			}
			ts, err := adapter.NewTrainingSampler(rrraCfg, t.Enc, t.Data, nil, *seed)
			if err != nil {
				return err
			}
			ts.Log = io.Discard
			ts.Prepare(t)
			return nil
		}
		if fusion, err = fitFusion(d, trainQrels, devQrels, tr.Cfg, setSampler, makeModel, *df.skipBad, stderr); err != nil {
			return err
		}
	}
	// The adapters and the fusion go into the folder in the same swap as
	// the model, so that it never holds one without the other, nor an
	// earlier run's.
	extra := func(tmp string) error {
		if rrraSampler != nil && rrraSampler.Fits > 0 {
			if err := adapter.Save(filepath.Join(tmp, adapter.File), rrraSampler.Adapters); err != nil {
				return err
			}
		}
		if fusion != nil {
			return fusion.Save(filepath.Join(tmp, adapter.FusionFile))
		}
		return nil
	}
	if err := nn.SaveBiEncoderWith(*out, bi, model, extra); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s", *out)
	for _, f := range figs {
		fmt.Fprintf(stderr, "  dev %s %.4f", f.Name, f.Value)
	}
	fmt.Fprintln(stderr)
	if *history != "" {
		b, err := json.MarshalIndent(tr.History, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(*history, append(b, '\n')); err != nil {
			return err
		}
	}
	if *plotPath != "" {
		if err := plots.Training(*plotPath, tr.History); err != nil {
			return err
		}
	}
	return nil
}

// inside reports whether path lies in the directory dir (both made
// absolute; symlinks are not followed).
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && filepath.IsLocal(rel)
}

// trainingData returns the training queries of trainQrels over d's
// corpus, or, with trainFile, the queries, positives and negatives of
// that Tevatron JSONL as a fixed pool; dev's queries stay out either way.
func trainingData(d *beir.Dataset, trainQrels, dev beir.Qrels, trainFile string, skipBad bool, stderr io.Writer) (*retrieval.TrainData, *retrieval.Pool, error) {
	if trainFile == "" {
		td, dropped, err := retrieval.NewTrainData(d, trainQrels)
		if dropped > 0 {
			fmt.Fprintf(stderr, "%d training queries have no relevant document and are left out\n", dropped)
		}
		return td, nil, err
	}
	examples, err := readWith(trainFile, func(r io.Reader, name string) ([]beir.TrainExample, error) {
		ex, st, err := beir.ReadTrainExamples(r, name, beir.Options{SkipBadLines: skipBad})
		if st != nil && err == nil {
			fmt.Fprintln(stderr, st.String())
		}
		return ex, err
	})
	if err != nil {
		return nil, nil, err
	}
	kept, n := retrieval.WithoutQueries(examples, dev)
	if n > 0 {
		fmt.Fprintf(stderr, "%s: %d examples are dev queries and are left out of training\n", trainFile, n)
	}
	td, fixed, dropped, err := retrieval.FromExamples(d, kept, trainFile)
	if dropped > 0 {
		fmt.Fprintf(stderr, "%s: %d negatives are also positives of their query and are left out\n", trainFile, dropped)
	}
	return td, fixed, err
}

// trainingModel loads the model in dir (its pooling, prompts and
// lengths: retrieval.LoadEncoder), or makes one from scratch (config: a
// preset or a config.json; the vocabulary at vocabPath or learned from
// td's corpus; mean pooling), and returns its encoder for queries of up
// to qLen and documents of up to dLen tokens (0: the defaults), and the
// learning rate that suits it (3e-5 to fine-tune, 5e-4 from scratch).
func trainingModel(dir, config, vocabPath string, vocabSize int, seed uint64, qLen, dLen int, td *retrieval.TrainData, stderr io.Writer) (*retrieval.Encoder, float64, error) {
	if dir != "" {
		enc, err := loadEncoder(dir, qLen, dLen, "", stderr)
		if err == nil && (enc.Bi.Query.Quantized() || enc.Bi.Doc.Quantized()) {
			return nil, 0, fmt.Errorf("--model %s: %w", dir, nn.ErrQuantizedTrain)
		}
		return enc, 3e-5, err
	}
	vocab, err := trainVocab(vocabPath, vocabSize, td, stderr)
	if err != nil {
		return nil, 0, err
	}
	var cfg nn.BertConfig
	if strings.HasSuffix(config, ".json") {
		cfg, err = nn.ReadConfig(config)
	} else {
		cfg, err = nn.Preset(config, vocab.Len())
	}
	if err != nil {
		return nil, 0, err
	}
	enc, err := retrieval.NewModelEncoder(cfg, vocab, seed, retrieval.EncoderOptions{QueryLen: qLen, DocLen: dLen})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", config, err)
	}
	return enc, 5e-4, nil
}

// hasSplit reports whether d has qrels for split s.
func hasSplit(d *beir.Dataset, s string) bool { return slices.Contains(d.Splits(), s) }

// trainVocab reads path, or learns a vocabulary of size tokens from the
// training data's corpus.
func trainVocab(path string, size int, td *retrieval.TrainData, stderr io.Writer) (*wordpiece.Vocab, error) {
	if path != "" {
		return wordpiece.ReadVocabFile(path)
	}
	began := time.Now()
	v, err := wordpiece.TrainTexts(td.Docs, wordpiece.TrainOptions{VocabSize: size, Lower: true})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "learned a WordPiece vocabulary of %d tokens from the corpus in %.1fs\n", v.Len(), time.Since(began).Seconds())
	return v, nil
}

// fitFusion fits the learned fusion for hybrid search (adapter.FitFusion):
// a model is trained on each half of the training queries as the main one
// was (cfg, without a checkpoint; makeModel makes it from the same start;
// setSampler gives its trainer its sampler).
func fitFusion(d *beir.Dataset, trainQrels, devQrels beir.Qrels, cfg retrieval.TrainConfig, setSampler func(*retrieval.Trainer) error,
	makeModel func(*retrieval.TrainData) (*retrieval.Encoder, error), skipBad bool, stderr io.Writer) (*adapter.Fusion, error) {
	cfg.Checkpoint, cfg.StopAt, cfg.EvalEvery = "", 0, 0
	train := func(half beir.Qrels) (*retrieval.Encoder, error) {
		td, _, err := trainingData(d, half, devQrels, "", skipBad, io.Discard)
		if err != nil {
			return nil, err
		}
		enc, err := makeModel(td)
		if err != nil {
			return nil, err
		}
		tr := &retrieval.Trainer{Cfg: cfg, Data: td, Bi: enc.Bi, Params: enc.Bi.Query.Params, Enc: enc, Log: io.Discard}
		if err := setSampler(tr); err != nil {
			return nil, err
		}
		_, err = tr.Run()
		return enc, err
	}
	f, err := adapter.FitFusion(d, trainQrels, train, stderr)
	if err != nil {
		return nil, fmt.Errorf("--fusion: %w", err)
	}
	return f, nil
}
