package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/adapter/experiment"
	"github.com/rrra/rrra/bench/plots"
	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
)

const experimentSynopsis = `experiment [--data DIR] [--methods LIST] [--seeds 3] [budget flags] [--hide-positives F] [--out DIR] [--json]

Trains and evaluates every method under the same budget and seeds on a
BEIR folder's train and test splits, and prints a table of test nDCG@10,
MRR@10, R@10 and R@100 (mean ± std over seeds) with a paired randomization
test of each RRRA method against the best of topk-uniform, simans and
positive-aware.

Protocol, per seed: a vocabulary learned from the corpus; a fresh --config
model warmed up without labels on crop pairs (--warm-steps); then each
trained method fine-tunes that same warm model for --steps steps with its
sampler (dense pools from BM25 until the first refresh, re-mined every
--refresh steps). Methods:

  bm25             BM25 retrieval (no training)
  crops            the warm-up model alone
  no-warmup        BM25 negatives, from scratch without the warm-up
  random, bm25-negatives, topk-uniform, simans, positive-aware
                   fine-tuning with that sampler
  rrra-resample    fine-tuning with the RRRA sampler (--rrra-params)
  rrra-rerank      topk-uniform fine-tuning, then reranking the top
                   --rerank-k with adapters fitted on the final model
  rrra             both

--variants 'NAME:PARAMS;NAME:PARAMS' also fits, on each trained method's
final model, one set of adapters per named variant (PARAMS added to
--rrra-params, e.g. 'A:;B:adapter=B;lex:lex_feature=1'), and reports for
each the test nDCG@10 of reranking with it and, with planted false
negatives, the ROC AUC and R-precision of its s_FN: an ablation on
identical models and pools.

--hybrid LIST also ranks each listed method's models hybrid, over the
union of BM25's and the model's top 100: rows METHOD+rrf (reciprocal rank
fusion), METHOD+linear (one weight, tuned on the training queries) and
METHOD+learned (the learned fusion search --method hybrid uses), each
with paired randomization tests against BM25 and against METHOD+rrf. The
fusions are fitted on features out of sample for the dense model: per
method and seed, two more models are trained its way, each on one half of
the training queries (three times that method's training).

--out DIR writes results.json, table.md and PNG plots: nDCG@10 per method,
the first seed's loss curves and, with planted false negatives, histograms
and calibration of s_FN. --hide-positives F plants false negatives: a share F of each training
query's relevant documents is hidden from training (they stay in the
corpus, unlabelled). The table then also shows the share of sampled
negatives that were planted ones, and how well each score finds the
planted documents among the final model's mined negatives (top 100): ROC
AUC and R-precision (precision at as many as there are planted documents
in the pools) of the adapter's s_FN (cross-fitted), of the raw bi-encoder
score, of SimANS's closeness to s⁺ and of BM25.

Examples:

	rrra experiment --data cranfield --seeds 3 --out exp-cranfield
	rrra experiment --data cranfield --methods topk-uniform,simans,rrra --hide-positives 0.3 --out planted
	rrra experiment --data scifact --methods bm25,topk-uniform,rrra-resample --hybrid topk-uniform,rrra-resample`

func runExperiment(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment", experimentSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	c := experiment.DefaultConfig()
	var names []string
	for _, m := range experiment.Methods {
		names = append(names, string(m))
	}
	var defMethods []string
	for _, m := range c.Methods {
		defMethods = append(defMethods, string(m))
	}
	methods := fs.String("methods", strings.Join(defMethods, ","), "comma-separated methods: "+strings.Join(names, ", "))
	fs.IntVar(&c.Seeds, "seeds", c.Seeds, "seeds per method (≥ 1)")
	fs.StringVar(&c.Model, "config", c.Model, "model preset: mini, tiny or small")
	fs.IntVar(&c.VocabSize, "vocab-size", c.VocabSize, "vocabulary learned from the corpus")
	fs.IntVar(&c.DocLen, "doc-len", c.DocLen, "longest document in tokens")
	fs.IntVar(&c.QueryLen, "query-len", c.QueryLen, "longest query in tokens")
	fs.IntVar(&c.WarmSteps, "warm-steps", c.WarmSteps, "unsupervised crop steps before fine-tuning")
	fs.IntVar(&c.WarmBatch, "warm-batch", c.WarmBatch, "crop pairs per warm-up step")
	fs.Float64Var(&c.WarmLR, "warm-lr", c.WarmLR, "warm-up learning rate")
	fs.IntVar(&c.Steps, "steps", c.Steps, "fine-tuning steps per method")
	fs.IntVar(&c.Batch, "batch", c.Batch, "queries per fine-tuning step")
	fs.IntVar(&c.Negatives, "negatives", c.Negatives, "hard negatives per query")
	fs.Float64Var(&c.LR, "lr", c.LR, "fine-tuning learning rate")
	fs.IntVar(&c.Refresh, "refresh", c.Refresh, "re-mine dense pools every N steps")
	fs.Float64Var(&c.Temperature, "temperature", c.Temperature, "softmax temperature on cosine scores")
	fs.Float64Var(&c.HidePositives, "hide-positives", 0, "share of each training query's relevant documents hidden from training (planted false negatives), in [0, 1)")
	fs.StringVar(&c.RRRAParams, "rrra-params", c.RRRAParams, "RRRA sampler parameters name=value,... on top of rrra train -h's defaults (default: the best false-negative finder measured, chosen on Cranfield, confirmed on SciFact)")
	fs.Float64Var(&c.RerankLambda, "rerank-lambda", c.RerankLambda, "λ_RR for the rerank methods")
	rerankGrid := fs.String("rerank-grid", "", "choose λ_RR for the rerank methods from this comma-separated grid (0 always joins it) by cross-fitted nDCG@10 on the training queries, per seed, instead of --rerank-lambda")
	fs.StringVar(&c.SaveModel, "save-model", "", "write the first seed's rrra (or else rrra-rerank) model, bi-encoder and adapters, to this directory")
	hybrid := fs.String("hybrid", "", "comma-separated trained methods (among --methods) whose models also rank hybrid with BM25: rows METHOD+rrf, METHOD+linear, METHOD+learned (two more models trained per method and seed, for the fusions' out-of-sample features)")
	variants := fs.String("variants", "", "adapter variants 'NAME:PARAMS;...' fitted on each trained model for the ablation")
	fs.IntVar(&c.RerankK, "rerank-k", c.RerankK, "reranking depth K_rr")
	fs.IntVar(&c.PoolK, "pool-k", c.PoolK, "depth of the mined pools scored in the planted study")
	outDir := fs.String("out", "", "directory for results.json and table.md")
	asJSON := fs.Bool("json", false, "write the results as JSON on stdout instead of the table")
	verbose := fs.Bool("verbose", false, "training logs on stderr")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *df.data == "" {
		fmt.Fprintln(stderr, "rrra experiment: --data is required")
		return errUsage
	}
	var err error
	if c.Methods, err = experiment.ParseMethods(*methods); err != nil {
		fmt.Fprintf(stderr, "rrra experiment: %v\n", err)
		return errUsage
	}
	if *hybrid != "" {
		if c.Hybrid, err = experiment.ParseMethods(*hybrid); err != nil {
			fmt.Fprintf(stderr, "rrra experiment: --hybrid: %v\n", err)
			return errUsage
		}
	}
	if *rerankGrid != "" {
		for _, f := range strings.Split(*rerankGrid, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return fmt.Errorf("--rerank-grid: %q is not a number", f)
			}
			c.RerankGrid = append(c.RerankGrid, x)
		}
	}
	if c.Variants, err = experiment.ParseVariants(*variants, c.RRRAParams); err != nil {
		return err
	}
	if *threads < 0 {
		return fmt.Errorf("--threads %d: want ≥ 0", *threads)
	}
	c.Args = args
	// Check every setting before hours of training.
	if err := c.Validate(); err != nil {
		return err
	}
	if c.SaveModel != "" {
		if err := nn.CheckSaveDir(c.SaveModel); err != nil {
			return err
		}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	experimentLogs(&c, stderr, *verbose)
	res, err := experiment.Run(context.Background(), d, c)
	if err != nil {
		return err
	}
	if *outDir != "" {
		if err := writeExperiment(*outDir, res); err != nil {
			return err
		}
	}
	if *asJSON {
		return res.WriteJSON(stdout)
	}
	return res.WriteMarkdown(stdout)
}

// experimentLogs sends c's lines per method and seed to stderr, and its
// training logs too when verbose; on a terminal each training run also
// draws a progress bar in place, which the log lines clear first.
func experimentLogs(c *experiment.Config, stderr io.Writer, verbose bool) {
	c.Log = stderr
	if verbose {
		c.TrainLog = stderr
	}
	if isTerminal(stderr) {
		if verbose {
			c.TrainLog = &clearLine{w: stderr, tty: true}
		}
		c.OnTrain = func(what string, steps int) func(int, int, float64) {
			pr := newProgress(stderr, what, "steps", steps)
			return func(done, total int, loss float64) { pr.update(done, fmt.Sprintf("loss %.4f", loss)) }
		}
	}
}

// writeExperiment writes results.json, table.md and the plots to dir.
func writeExperiment(dir string, res *experiment.Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var jb, tb strings.Builder
	if err := res.WriteJSON(&jb); err != nil {
		return err
	}
	if err := res.WriteMarkdown(&tb); err != nil {
		return err
	}
	// results.json and table.md change together or not at all; the
	// plots follow, each written atomically on its own.
	var g atomicfile.Group
	defer g.Abort()
	if err := g.Add(filepath.Join(dir, "results.json"), atomicfile.FromBytes([]byte(jb.String()))); err != nil {
		return err
	}
	if err := g.Add(filepath.Join(dir, "table.md"), atomicfile.FromBytes([]byte(tb.String()))); err != nil {
		return err
	}
	if err := g.Commit(); err != nil {
		return err
	}
	if err := plots.Experiment(dir, res); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

// rrraParamsHelp documents the RRRA parameters for -h texts.
func rrraParamsHelp() string {
	return "RRRA parameters (name=value, comma-separated):\n" + adapter.ParamsHelp()
}
