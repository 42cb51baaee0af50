package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
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
	rrra experiment --data cranfield --methods topk-uniform,simans,rrra --hide-positives 0.3 --out planted`

// expOptions are the experiment's flags.
type expOptions struct {
	methods                    []string
	seeds                      int
	config                     string
	vocab                      int
	docLen, queryLen           int
	warmSteps, warmBatch       int
	warmLR                     float64
	steps, batch, negs         int
	lr                         float64
	refresh                    int
	hide                       float64
	rrraParams                 string
	variants                   []variant
	saveModel                  string
	rerankLambda               float64
	rerankGrid                 []float64
	rerankK                    int
	verbose                    bool
	planK                      int
	temperature                float64
	bestOf                     []string
	startedAt                  time.Time
	argv                       []string
	dataName                   string
	numDocs, numTrain, numTest int
}

// A variant is a named set of RRRA parameters for the adapter ablation.
type variant struct {
	Name, Params string
}

// parseVariants reads "NAME:PARAMS;NAME:PARAMS", checking every set.
func parseVariants(s, base string) ([]variant, error) {
	var out []variant
	for _, f := range strings.Split(s, ";") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		name, params, ok := strings.Cut(f, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("--variants: %q is not NAME:PARAMS", f)
		}
		v := variant{Name: name, Params: joinParams(base, params)}
		if err := parseRRRAParams(v.Params, new(adapter.SamplerConfig)); err != nil {
			return nil, fmt.Errorf("--variants %s: %w", name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// joinParams appends RRRA parameter lists (later values win).
func joinParams(a, b string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return b
	case strings.TrimSpace(b) == "":
		return a
	}
	return a + "," + b
}

var allMethods = []string{"bm25", "crops", "no-warmup", "random", "bm25-negatives", "topk-uniform", "simans",
	"positive-aware", "rrra-resample", "rrra-rerank", "rrra"}

var expMeasures = []string{"ndcg_cut_10", "mrr_cut_10", "recall_10", "recall_100"}

// methodResult gathers one method's results over seeds.
type methodResult struct {
	Method   string               `json:"method"`
	Mean     map[string][]float64 `json:"per_seed"`      // measure → value per seed
	PerQuery map[string]float64   `json:"-"`             // nDCG@10 per test query, summed over seeds
	Planted  []float64            `json:"planted_share"` // per seed: share of sampled negatives that were planted
	Hardness []float64            `json:"hardness"`      // per seed: mean cosine of the sampled negatives drawn from the pool, as mined
	FromPool []float64            `json:"from_pool"`     // per seed: share of sampled negatives drawn from the pool
	AUC      map[string][]float64 `json:"planted_auc"`   // score → AUC per seed
	Seconds  []float64            `json:"seconds_per_seed"`
	// SelfTrain holds, with RRRA's self-training, per seed: the number of
	// candidates promoted to positives ("promoted") and, with planted
	// negatives, the share of them that were planted ("precision") and
	// the share of planted documents promoted ("planted_recall").
	SelfTrain map[string][]float64 `json:"self_training,omitempty"`
	// Lambda holds, with --rerank-grid, the λ_RR chosen per seed.
	Lambda []float64 `json:"rerank_lambda,omitempty"`
	// Variants holds, per adapter variant, its measures per seed:
	// rerank_ndcg_cut_10, and with planted negatives auc_s_fn,
	// rprec_s_fn; fit_seconds.
	Variants map[string]map[string][]float64 `json:"variants,omitempty"`

	Curve     []retrieval.StepRecord // training curve of the first seed
	SFN       []float64              // s_FN of the first seed's mined negatives (planted study)
	IsPlanted []bool                 // whether each of them is a planted false negative
}

func runExperiment(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment", experimentSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	var o expOptions
	methods := fs.String("methods", "bm25,topk-uniform,simans,positive-aware,rrra-resample,rrra-rerank,rrra", "comma-separated methods: "+strings.Join(allMethods, ", "))
	fs.IntVar(&o.seeds, "seeds", 3, "seeds per method")
	fs.StringVar(&o.config, "config", "mini", "model preset: mini, tiny or small")
	fs.IntVar(&o.vocab, "vocab-size", 4000, "vocabulary learned from the corpus")
	fs.IntVar(&o.docLen, "doc-len", 128, "longest document in tokens")
	fs.IntVar(&o.queryLen, "query-len", 32, "longest query in tokens")
	fs.IntVar(&o.warmSteps, "warm-steps", 300, "unsupervised crop steps before fine-tuning")
	fs.IntVar(&o.warmBatch, "warm-batch", 32, "crop pairs per warm-up step")
	fs.Float64Var(&o.warmLR, "warm-lr", 2e-3, "warm-up learning rate")
	fs.IntVar(&o.steps, "steps", 300, "fine-tuning steps per method")
	fs.IntVar(&o.batch, "batch", 16, "queries per fine-tuning step")
	fs.IntVar(&o.negs, "negatives", 3, "hard negatives per query")
	fs.Float64Var(&o.lr, "lr", 1e-3, "fine-tuning learning rate")
	fs.IntVar(&o.refresh, "refresh", 100, "re-mine dense pools every N steps")
	fs.Float64Var(&o.temperature, "temperature", 0.05, "softmax temperature on cosine scores")
	fs.Float64Var(&o.hide, "hide-positives", 0, "share of each training query's relevant documents hidden from training (planted false negatives)")
	fs.StringVar(&o.rrraParams, "rrra-params", "base=uniform", "RRRA sampler parameters: "+rrraParamsHelp)
	fs.Float64Var(&o.rerankLambda, "rerank-lambda", 0.25, "λ_RR for the rerank methods")
	rerankGrid := fs.String("rerank-grid", "", "choose λ_RR for the rerank methods from this comma-separated grid (0 always joins it) by cross-fitted nDCG@10 on the training queries, per seed, instead of --rerank-lambda")
	fs.StringVar(&o.saveModel, "save-model", "", "write the first seed's rrra (or else rrra-rerank) model, bi-encoder and adapters, to this directory")
	variants := fs.String("variants", "", "adapter variants 'NAME:PARAMS;...' fitted on each trained model for the ablation")
	fs.IntVar(&o.rerankK, "rerank-k", 100, "reranking depth K_rr")
	fs.IntVar(&o.planK, "pool-k", 100, "depth of the mined pools scored in the planted study")
	outDir := fs.String("out", "", "directory for results.json and table.md")
	asJSON := fs.Bool("json", false, "write the summary as JSON on stdout instead of the table")
	fs.BoolVar(&o.verbose, "verbose", false, "training logs on stderr")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *df.data == "" || o.seeds < 1 {
		fmt.Fprintln(stderr, "rrra experiment: --data is required; --seeds ≥ 1")
		return errUsage
	}
	o.methods = strings.Split(*methods, ",")
	for _, m := range o.methods {
		if !slices.Contains(allMethods, m) {
			fmt.Fprintf(stderr, "rrra experiment: unknown method %q (have %s)\n", m, strings.Join(allMethods, ", "))
			return errUsage
		}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	o.bestOf = []string{"topk-uniform", "simans", "positive-aware"}
	o.startedAt = time.Now()
	o.argv = args
	// Check the RRRA parameters before hours of training.
	if *rerankGrid != "" {
		o.rerankGrid = []float64{0}
		for _, f := range strings.Split(*rerankGrid, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || x < 0 || math.IsInf(x, 0) {
				return fmt.Errorf("--rerank-grid: %q is not a λ ≥ 0", f)
			}
			if !slices.Contains(o.rerankGrid, x) {
				o.rerankGrid = append(o.rerankGrid, x)
			}
		}
		slices.Sort(o.rerankGrid)
	}
	if err := parseRRRAParams(o.rrraParams, new(adapter.SamplerConfig)); err != nil {
		return err
	}
	var err error
	if o.variants, err = parseVariants(*variants, o.rrraParams); err != nil {
		return err
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	results, err := experiment(d, &o, stderr)
	if err != nil {
		return err
	}
	summary := summarise(results, &o)
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(summary, "", "  ")
		if err := atomicfile.Write(filepath.Join(*outDir, "results.json"), append(b, '\n')); err != nil {
			return err
		}
		var tb strings.Builder
		writeTable(&tb, results, &o)
		if err := atomicfile.Write(filepath.Join(*outDir, "table.md"), []byte(tb.String())); err != nil {
			return err
		}
		if err := writePlots(*outDir, results, &o); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(summary)
	}
	writeTable(stdout, results, &o)
	return nil
}

// expEnv is what every run of one seed shares.
type expEnv struct {
	o      *expOptions
	d      *beir.Dataset
	td     *retrieval.TrainData // training queries, hidden positives removed
	hidden map[int]map[int32]bool
	testQ  []beir.Query
	test   beir.Qrels
	tok    *wordpiece.Tokenizer
	vocab  *wordpiece.Vocab
	bm     *bm25.Index
	lex    *adapter.Lexical // the adapters' lexical feature (read only by adapters with lex_feature)
	stderr io.Writer
}

func experiment(d *beir.Dataset, o *expOptions, stderr io.Writer) ([]*methodResult, error) {
	train, _, err := d.Qrels("train")
	if err != nil {
		return nil, err
	}
	test, _, err := d.Qrels("test")
	if err != nil {
		return nil, err
	}
	var hiddenIDs map[string][]string
	if o.hide > 0 {
		train, hiddenIDs = retrieval.HidePositives(train, o.hide, 1)
		n := 0
		for _, h := range hiddenIDs {
			n += len(h)
		}
		fmt.Fprintf(stderr, "planted false negatives: hid %d relevant documents of %d training queries (share %g)\n", n, len(hiddenIDs), o.hide)
	}
	td, _, err := retrieval.NewTrainData(d, train)
	if err != nil {
		return nil, err
	}
	env := &expEnv{o: o, d: d, td: td, test: test, testQ: d.SplitQueries(test), stderr: stderr, hidden: map[int]map[int32]bool{}}
	for q, qid := range td.QueryIDs {
		for _, did := range hiddenIDs[qid] {
			i, _ := d.Corpus.Index(did)
			if env.hidden[q] == nil {
				env.hidden[q] = map[int32]bool{}
			}
			env.hidden[q][int32(i)] = true
		}
	}
	o.dataName, o.numDocs, o.numTrain, o.numTest = d.Name, d.Corpus.Len(), len(td.Queries), len(env.testQ)
	env.vocab, err = wordpiece.TrainTexts(td.Docs, wordpiece.TrainOptions{VocabSize: o.vocab, Lower: true})
	if err != nil {
		return nil, err
	}
	env.tok = wordpiece.New(env.vocab, true)
	env.bm = retrieval.BuildBM25(td)
	env.lex = adapter.NewLexical(env.bm)
	results := make([]*methodResult, len(o.methods))
	for i, m := range o.methods {
		results[i] = &methodResult{Method: m, Mean: map[string][]float64{}, PerQuery: map[string]float64{}, AUC: map[string][]float64{},
			Variants: map[string]map[string][]float64{}}
	}
	for seed := 1; seed <= o.seeds; seed++ {
		if err := env.runSeed(uint64(seed), results); err != nil {
			return nil, err
		}
	}
	return results, nil
}

func (e *expEnv) runSeed(seed uint64, results []*methodResult) error {
	o := e.o
	cfg, err := nn.Preset(o.config, e.vocab.Len())
	if err != nil {
		return err
	}
	m, err := nn.NewBert(cfg, seed)
	if err != nil {
		return err
	}
	bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true, Temperature: float32(o.temperature)}
	enc := retrieval.NewEncoder(bi, e.tok, o.queryLen, o.docLen)
	init := slices.Clone(m.Params.Data())
	var warm []float32
	for _, r := range results {
		began := time.Now()
		var run metrics.Run
		planted := math.NaN()
		switch r.Method {
		case "bm25":
			run = e.bm25Run()
		default:
			if r.Method == "no-warmup" {
				copy(m.Params.Data(), init)
			} else {
				if warm == nil {
					copy(m.Params.Data(), init)
					if _, err := e.train(bi, enc, m, "random", seed, true, nil); err != nil {
						return err
					}
					warm = slices.Clone(m.Params.Data())
				}
				copy(m.Params.Data(), warm)
			}
			smpName := map[string]string{"no-warmup": "bm25", "bm25-negatives": "bm25", "rrra-rerank": "topk-uniform",
				"rrra-resample": "rrra", "rrra": "rrra"}[r.Method]
			if smpName == "" {
				smpName = r.Method
			}
			if r.Method != "crops" {
				var drawn, hit, inPool int
				var poolScore float64
				watch := func(q int, negs []int32, pool []retrieval.Candidate) {
					for _, n := range negs {
						drawn++
						if e.hidden[q][n] {
							hit++
						}
						if i := slices.IndexFunc(pool, func(c retrieval.Candidate) bool { return c.Doc == n }); i >= 0 {
							inPool++
							poolScore += float64(pool[i].Score)
						}
					}
				}
				tr, err := e.train(bi, enc, m, smpName, seed, false, watch)
				if err != nil {
					return err
				}
				if seed == 1 {
					r.Curve = tr.History
				}
				if s, ok := tr.Sampler.(*adapter.Sampler); ok && s.Cfg.SelfTrain > 0 {
					e.recordPromotions(r, s.Promoted)
				}
				if drawn > 0 {
					planted = float64(hit) / float64(drawn)
					r.FromPool = append(r.FromPool, float64(inPool)/float64(drawn))
				}
				if inPool > 0 {
					// Pool scores are logits (cosine/τ) of the model that
					// mined the pool; report cosines.
					r.Hardness = append(r.Hardness, poolScore/float64(inPool)*float64(bi.Temperature))
				}
			}
			dv, err := enc.Docs(e.td.Docs, nil)
			if err != nil {
				return err
			}
			qv, err := enc.Queries(e.td.Queries, nil)
			if err != nil {
				return err
			}
			fm, err := e.newFinalModel(enc, dv)
			if err != nil {
				return err
			}
			rerank := r.Method == "rrra-rerank" || r.Method == "rrra"
			var adapters []*adapter.Adapter
			var ts *retrieval.TokenStates
			toks := &modelTokens{enc: enc, docs: e.td.Docs}
			if rerank || len(e.hidden) > 0 {
				if ts, err = toks.forParams(o.rrraParams); err != nil {
					return err
				}
				if adapters, err = e.fitAdapters(qv, dv, ts, enc.Dim(), seed, o.rrraParams); err != nil {
					return err
				}
			}
			lambda := o.rerankLambda
			if rerank && len(o.rerankGrid) > 0 {
				if lambda, err = e.tuneLambda(r, seed, fm.ix, qv, ts, adapters); err != nil {
					return err
				}
			}
			run = e.denseRun(fm, ts, adapters, rerank, lambda)
			if seed == 1 && rerank && e.o.saveModel != "" && (r.Method == "rrra" || !slices.Contains(o.methods, "rrra")) {
				if err := nn.SaveBiEncoder(e.o.saveModel, bi, &nn.Model{Bert: m, Vocab: e.vocab, Lower: true}); err != nil {
					return err
				}
				if err := adapter.Save(filepath.Join(e.o.saveModel, adapter.File), adapters); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "saved the %s model and its adapters to %s\n", r.Method, e.o.saveModel)
			}
			if len(e.hidden) > 0 {
				auc, sfn, planted, err := e.plantedAUC(qv, dv, ts, enc.Dim(), adapters, bi.Temperature)
				if err != nil {
					return err
				}
				for k, v := range auc {
					r.AUC[k] = append(r.AUC[k], v)
				}
				fmt.Fprintf(e.stderr, "seed %d  %-16s AUC among each query's top %d: s_FN %.3f  score %.3f  SimANS %.3f  BM25 %.3f\n", seed, r.Method, topAUC,
					auc["top20_s_fn"], auc["top20_score"], auc["top20_simans"], auc["top20_bm25"])
				if seed == 1 {
					r.SFN, r.IsPlanted = sfn, planted
				}
			}
			if r.Method != "crops" {
				if err := e.runVariants(r, enc, fm, toks, qv, dv, seed, bi.Temperature); err != nil {
					return err
				}
			}
		}
		rep, err := metrics.Evaluate(metrics.Qrels(e.test), run, expMeasures, metrics.Options{})
		if err != nil {
			return err
		}
		for _, k := range expMeasures {
			r.Mean[k] = append(r.Mean[k], rep.Mean[k])
		}
		for q, v := range rep.PerQuery {
			r.PerQuery[q] += v["ndcg_cut_10"]
		}
		r.Planted = append(r.Planted, planted)
		r.Seconds = append(r.Seconds, time.Since(began).Seconds())
		fmt.Fprintf(e.stderr, "seed %d  %-16s nDCG@10 %.4f  MRR@10 %.4f  R@100 %.4f", seed, r.Method,
			rep.Mean["ndcg_cut_10"], rep.Mean["mrr_cut_10"], rep.Mean["recall_100"])
		if !math.IsNaN(planted) && len(e.hidden) > 0 {
			fmt.Fprintf(e.stderr, "  planted share %.4f", planted)
			if len(r.Hardness) == int(seed) {
				fmt.Fprintf(e.stderr, "  hardness %.3f", r.Hardness[seed-1])
			}
		}
		for _, k := range []string{"s_fn", "score", "simans", "bm25"} {
			if v := r.AUC[k]; len(v) == int(seed) {
				fmt.Fprintf(e.stderr, "  AUC %s %.3f", k, v[len(v)-1])
			}
		}
		fmt.Fprintf(e.stderr, "  (%.0fs)\n", time.Since(began).Seconds())
	}
	return nil
}

// recordPromotions adds to r what self-training promoted in one seed's
// run: how many, and with planted false negatives, the share of them that
// were planted (the rest are documents the qrels do not judge relevant)
// and the share of the planted documents it promoted.
func (e *expEnv) recordPromotions(r *methodResult, promoted []adapter.Promotion) {
	if r.SelfTrain == nil {
		r.SelfTrain = map[string][]float64{}
	}
	r.SelfTrain["promoted"] = append(r.SelfTrain["promoted"], float64(len(promoted)))
	fmt.Fprintf(e.stderr, "  self-training promoted %d candidates to positives", len(promoted))
	if len(e.hidden) > 0 {
		hit, total := 0, 0
		for _, p := range promoted {
			if e.hidden[p.Query][p.Doc] {
				hit++
			}
		}
		for _, h := range e.hidden {
			total += len(h)
		}
		prec := math.NaN()
		if len(promoted) > 0 {
			prec = float64(hit) / float64(len(promoted))
		}
		r.SelfTrain["precision"] = append(r.SelfTrain["precision"], prec)
		r.SelfTrain["planted_recall"] = append(r.SelfTrain["planted_recall"], float64(hit)/float64(max(1, total)))
		fmt.Fprintf(e.stderr, ", %d of them planted (%d planted in all)", hit, total)
	}
	fmt.Fprintln(e.stderr)
}

// train runs one training phase on the shared model.
func (e *expEnv) train(bi *nn.BiEncoder, enc *retrieval.Encoder, m *nn.Bert, smpName string, seed uint64, crops bool,
	watch func(int, []int32, []retrieval.Candidate)) (*retrieval.Trainer, error) {
	o := e.o
	var smp retrieval.Sampler
	var aux retrieval.AuxLoss
	data := e.td
	if smpName == "rrra" {
		cfg := adapter.DefaultSamplerConfig()
		cfg.Fit.Seed, cfg.Label.Seed = seed, seed
		if err := parseRRRAParams(o.rrraParams, &cfg); err != nil {
			return nil, err
		}
		s, err := adapter.NewSampler(cfg, enc.Dim(), seed)
		if err != nil {
			return nil, err
		}
		if o.verbose {
			s.Log = e.stderr
		}
		s.Encoder, s.Lexical = enc, e.lex
		smp = s
		if cfg.SelfTrain > 0 {
			// Self-training adds positives: to this run's data only.
			data = e.td.WithOwnPositives()
		}
		if cfg.LambdaAd != 0 && !crops {
			if aux, err = adapter.NewJoint(s, data, cfg.LambdaAd); err != nil {
				return nil, err
			}
		}
	} else {
		var err error
		if smp, err = retrieval.NewSampler(smpName, ""); err != nil {
			return nil, err
		}
	}
	tc := retrieval.TrainConfig{Steps: o.steps, BatchQueries: o.batch, Negatives: o.negs, LR: o.lr,
		WarmupSteps: o.steps / 10, WeightDecay: 0.01, ClipNorm: 1, RefreshEvery: o.refresh, Seed: seed, LogEvery: max(1, o.steps/3)}
	if crops {
		tc.Crops, tc.Steps, tc.BatchQueries, tc.LR, tc.WarmupSteps = true, o.warmSteps, o.warmBatch, o.warmLR, o.warmSteps/10
	}
	tr := &retrieval.Trainer{Cfg: tc, Data: data, Bi: bi, Params: m.Params, Enc: enc, Sampler: smp, BM25: e.bm, OnNegatives: watch, Aux: aux}
	if o.verbose {
		tr.Log = e.stderr
	}
	if isTerminal(e.stderr) {
		// A bar redrawn in place; log lines clear it first.
		if o.verbose {
			tr.Log = &clearLine{w: e.stderr, tty: true}
		}
		what := fmt.Sprintf("seed %d %s", seed, smpName)
		if crops {
			what = fmt.Sprintf("seed %d crops", seed)
		}
		pr := newProgress(e.stderr, what, "steps", tc.Steps)
		tr.OnStep = func(done, total int, loss float64) { pr.update(done, fmt.Sprintf("loss %.4f", loss)) }
	}
	_, err := tr.Run()
	return tr, err
}

func (e *expEnv) bm25Run() metrics.Run {
	qids, texts := retrieval.QueryTexts(e.testQ)
	return retrieval.BM25Search(e.bm, qids, texts, 100)
}

// runVariants fits and measures each adapter variant on the final model
// of one method and seed.
func (e *expEnv) runVariants(r *methodResult, enc *retrieval.Encoder, fm *finalModel, toks *modelTokens, qv, dv []float32, seed uint64, tau float32) error {
	for _, v := range e.o.variants {
		began := time.Now()
		ts, err := toks.forParams(v.Params)
		if err != nil {
			return err
		}
		adapters, err := e.fitAdapters(qv, dv, ts, enc.Dim(), seed, v.Params)
		if err != nil {
			return err
		}
		fit := time.Since(began).Seconds()
		if r.Variants[v.Name] == nil {
			r.Variants[v.Name] = map[string][]float64{}
		}
		m := r.Variants[v.Name]
		m["fit_seconds"] = append(m["fit_seconds"], fit)
		rep, err := metrics.Evaluate(metrics.Qrels(e.test), e.denseRun(fm, ts, adapters, true, e.o.rerankLambda), []string{"ndcg_cut_10"}, metrics.Options{})
		if err != nil {
			return err
		}
		m["rerank_ndcg_cut_10"] = append(m["rerank_ndcg_cut_10"], rep.Mean["ndcg_cut_10"])
		line := fmt.Sprintf("seed %d  %-16s variant %-12s rerank nDCG@10 %.4f", seed, r.Method, v.Name, rep.Mean["ndcg_cut_10"])
		if len(e.hidden) > 0 {
			auc, _, _, err := e.plantedAUC(qv, dv, ts, enc.Dim(), adapters, tau)
			if err != nil {
				return err
			}
			m["auc_s_fn"] = append(m["auc_s_fn"], auc["s_fn"])
			m["rprec_s_fn"] = append(m["rprec_s_fn"], auc["rprec_s_fn"])
			m["top20_auc_s_fn"] = append(m["top20_auc_s_fn"], auc["top20_s_fn"])
			line += fmt.Sprintf("  AUC s_FN %.3f  R-prec %.3f  top-20 AUC %.3f", auc["s_fn"], auc["rprec_s_fn"], auc["top20_s_fn"])
		}
		fmt.Fprintf(e.stderr, "%s  (fit %.0fs)\n", line, fit)
	}
	return nil
}

// modelTokens encodes the corpus's token states of one trained model at
// most once, however many adapter-B variants read them.
type modelTokens struct {
	enc  *retrieval.Encoder
	docs []string
	ts   *retrieval.TokenStates
}

// forParams returns the token states when the RRRA parameters ask for
// adapter B, and nil otherwise.
func (m *modelTokens) forParams(params string) (*retrieval.TokenStates, error) {
	var cfg adapter.SamplerConfig
	if err := parseRRRAParams(params, &cfg); err != nil || !cfg.Token {
		return nil, err
	}
	if m.ts == nil {
		var err error
		if m.ts, err = m.enc.DocTokens(m.docs, nil); err != nil {
			return nil, err
		}
	}
	return m.ts, nil
}

// fitAdapters labels the final model's mining pass over the training
// queries and fits two cross-fitted adapters with the given RRRA
// parameters, as the RRRA sampler does.
func (e *expEnv) fitAdapters(qv, dv []float32, ts *retrieval.TokenStates, dim int, seed uint64, params string) ([]*adapter.Adapter, error) {
	cfg := adapter.DefaultSamplerConfig()
	cfg.Fit.Seed, cfg.Label.Seed = seed, seed
	if err := parseRRRAParams(params, &cfg); err != nil {
		return nil, err
	}
	s, err := adapter.NewSampler(cfg, dim, seed)
	if err != nil {
		return nil, err
	}
	s.Lexical = e.lex
	if err := s.Fit(e.td, qv, dv, ts, dim, e.o.steps); err != nil {
		return nil, err
	}
	return s.Adapters, nil
}

// finalModel is what the dense run, the choice of λ_RR and every adapter
// variant share for one trained model: the corpus's vectors indexed and
// the test queries' vectors.
type finalModel struct {
	ix          *index.Flat
	qids, texts []string
	qv          []float32
}

// newFinalModel indexes dv, the corpus encoded by enc, and encodes the
// test queries.
func (e *expEnv) newFinalModel(enc *retrieval.Encoder, dv []float32) (*finalModel, error) {
	fm := &finalModel{ix: index.New(enc.Dim())}
	fm.qids, fm.texts = retrieval.QueryTexts(e.testQ)
	var err error
	if fm.qv, err = enc.Queries(fm.texts, nil); err != nil {
		return nil, err
	}
	if err := fm.ix.Add(e.td.DocIDs, dv); err != nil {
		return nil, err
	}
	return fm, nil
}

// denseRun searches the test queries, reranking with adapters when asked.
func (e *expEnv) denseRun(fm *finalModel, ts *retrieval.TokenStates, adapters []*adapter.Adapter, rerank bool, lambda float64) metrics.Run {
	if !rerank {
		return retrieval.DenseSearch(fm.ix, fm.qids, fm.qv, 100)
	}
	cfg := adapter.RerankConfig{K: e.o.rerankK, Lambda: lambda, TauB: e.o.temperature, Tokens: ts, Lexical: e.lex}
	return adapter.RerankSearch(adapters, fm.ix, fm.qids, fm.texts, fm.qv, cfg)
}

// tuneLambda chooses λ_RR for one seed's rerank method from --rerank-grid
// (adapter.TuneLambda: cross-fitted nDCG@10 on the training queries, ties
// to the smaller λ) and records it in r.
// ix indexes the corpus, qv holds the training queries' vectors.
func (e *expEnv) tuneLambda(r *methodResult, seed uint64, ix *index.Flat, qv []float32, ts *retrieval.TokenStates, adapters []*adapter.Adapter) (float64, error) {
	cfg := adapter.RerankConfig{K: e.o.rerankK, TauB: e.o.temperature, Tokens: ts, Lexical: e.lex}
	lambda, scores, p, err := adapter.TuneLambda(adapters, ix, e.td, qv, e.o.rerankGrid, cfg)
	if err != nil {
		return 0, err
	}
	r.Lambda = append(r.Lambda, lambda)
	var parts []string
	for i, x := range e.o.rerankGrid {
		parts = append(parts, fmt.Sprintf("λ %g: %.4f", x, scores[i]))
	}
	fmt.Fprintf(e.stderr, "seed %d  %-16s λ_RR %g chosen on the training queries (nDCG@10 %s; best against λ 0: p %.3g)\n", seed, r.Method, lambda, strings.Join(parts, ", "), p)
	return lambda, nil
}

// plantedAUC scores the final model's mined negatives (top pool-k, known
// positives removed) and returns, per score, the ROC AUC of finding the
// planted (hidden) positives among them.
// topAUC is the depth of the pools over which plantedAUC also reports
// each score's ROC AUC (as top20_<score>).
const topAUC = 20

func (e *expEnv) plantedAUC(qv, dv []float32, ts *retrieval.TokenStates, dim int, adapters []*adapter.Adapter, tau float32) (map[string]float64, []float64, []bool, error) {
	pool, err := retrieval.MineDense(e.td, qv, dv, dim, e.o.planK, 1/tau)
	if err != nil {
		return nil, nil, nil, err
	}
	var labels []bool
	var top []bool // whether each candidate is among its query's first topAUC
	scores := map[string][]float64{}
	var pairs []adapter.Pair
	for q, cands := range pool.Cands {
		best := math.Inf(-1)
		for _, s := range pool.PosScores[q] {
			best = math.Max(best, float64(s))
		}
		for i, c := range cands {
			labels = append(labels, e.hidden[q][c.Doc])
			top = append(top, i < topAUC)
			scores["score"] = append(scores["score"], float64(c.Score))
			scores["simans"] = append(scores["simans"], -(float64(c.Score)-best)*(float64(c.Score)-best))
			scores["bm25"] = append(scores["bm25"], float64(e.bm.Score(e.td.Queries[q], int(c.Doc))))
			pairs = append(pairs, adapter.Pair{Query: int32(q), Doc: c.Doc})
		}
	}
	sfn := make([]float64, len(pairs))
	for i, f := range adapter.CrossFitScore(adapters, e.td, qv, dv, ts, e.lex, dim, pairs) {
		sfn[i] = float64(f)
	}
	scores["s_fn"] = sfn
	// R-precision: precision at k = the number of planted documents in
	// the pools, the share of the k most suspect that are planted.
	planted := 0
	for _, l := range labels {
		if l {
			planted++
		}
	}
	out := map[string]float64{}
	for k, v := range scores {
		out[k] = adapter.ROCAUC(v, labels)
		out["rprec_"+k] = adapter.PrecisionAtK(v, labels, planted)
		// The same among the hardest candidates only, where hard
		// negative samplers draw.
		var tv []float64
		var tl []bool
		for i, in := range top {
			if in {
				tv, tl = append(tv, v[i]), append(tl, labels[i])
			}
		}
		out[fmt.Sprintf("top%d_%s", topAUC, k)] = adapter.ROCAUC(tv, tl)
	}
	out["in_pool"] = float64(planted)
	return out, sfn, labels, nil
}

// meanStd returns the mean and sample standard deviation of v.
func meanStd(v []float64) (float64, float64) {
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean := s / float64(n)
	if n < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			ss += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(ss / float64(n-1))
}

func fmtMS(v []float64, digits int) string {
	m, s := meanStd(v)
	if math.IsNaN(m) {
		return "—"
	}
	if len(v) < 2 || s < 1e-12*math.Max(1, math.Abs(m)) {
		return fmt.Sprintf("%.*f", digits, m)
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, m, digits, s)
}

// bestBaseline returns the baseline with the highest mean nDCG@10.
func bestBaseline(results []*methodResult, o *expOptions) *methodResult {
	var best *methodResult
	bm := math.Inf(-1)
	for _, r := range results {
		if slices.Contains(o.bestOf, r.Method) {
			if m, _ := meanStd(r.Mean["ndcg_cut_10"]); m > bm {
				best, bm = r, m
			}
		}
	}
	return best
}

func perQueryMean(r *methodResult, seeds int) map[string]float64 {
	out := make(map[string]float64, len(r.PerQuery))
	for q, v := range r.PerQuery {
		out[q] = v / float64(seeds)
	}
	return out
}

func writeTable(w io.Writer, results []*methodResult, o *expOptions) {
	cpu := kernels.CPU()
	fmt.Fprintf(w, "### %s: test split, %d seeds\n\n", o.dataName, o.seeds)
	fmt.Fprintf(w, "`rrra experiment %s` — %s, %d threads (%s kernels), Go %s, %s; %.0f min in all.\n\n",
		strings.Join(o.argv, " "), cpu.Brand, kernels.Threads(), kernels.Selected(), runtime.Version(),
		o.startedAt.Format("2006-01-02"), time.Since(o.startedAt).Minutes())
	fmt.Fprintf(w, "%d documents, %d training and %d test queries. Model %s (vocabulary %d from the corpus), mean pooling, cosine/%g; "+
		"documents cut to %d tokens, queries to %d. Warm-up: %d steps of %d crop pairs, lr %g. Fine-tuning: %d steps of %d queries × (1 + %d negatives), "+
		"lr %g, dense pools re-mined every %d steps (BM25's pool before the first). RRRA: %s; reranking λ %s over the top %d, τ_b %g.",
		o.numDocs, o.numTrain, o.numTest, o.config, o.vocab, o.temperature, o.docLen, o.queryLen, o.warmSteps, o.warmBatch, o.warmLR,
		o.steps, o.batch, o.negs, o.lr, o.refresh, o.rrraParams, lambdaText(o), o.rerankK, o.temperature)
	if o.hide > 0 {
		fmt.Fprintf(w, " Planted false negatives: %g of each training query's relevant documents hidden.", o.hide)
	}
	best := bestBaseline(results, o)
	if best != nil {
		fmt.Fprintf(w, " p: paired randomization test (10,000 trials) of per-query nDCG@10, averaged over seeds, against the best baseline, %s.", best.Method)
	}
	fmt.Fprintf(w, "\n\n")
	head := "| method | nDCG@10 | MRR@10 | R@10 | R@100 | p |"
	sep := "|---|--:|--:|--:|--:|--:|"
	if o.hide > 0 {
		head += " planted share of negatives | hardness | from pool | planted in pools | AUC s_FN | AUC score | AUC SimANS | AUC BM25 | R-prec s_FN | R-prec score | R-prec SimANS | R-prec BM25 | top-20 AUC s_FN | top-20 AUC score | top-20 AUC SimANS |"
		sep += "--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, sep)
	for _, r := range results {
		p := "—"
		if best != nil && strings.HasPrefix(r.Method, "rrra") {
			pv, err := metrics.RandomizationTest(perQueryMean(r, o.seeds), perQueryMean(best, o.seeds), 10000, 1)
			if err == nil {
				p = fmt.Sprintf("%.3g", pv)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |", r.Method, fmtMS(r.Mean["ndcg_cut_10"], 4), fmtMS(r.Mean["mrr_cut_10"], 4),
			fmtMS(r.Mean["recall_10"], 4), fmtMS(r.Mean["recall_100"], 4), p)
		if o.hide > 0 {
			fmt.Fprintf(w, " %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", fmtMS(r.Planted, 4), fmtMS(r.Hardness, 3), fmtMS(r.FromPool, 2), fmtMS(r.AUC["in_pool"], 0),
				fmtMS(r.AUC["s_fn"], 3), fmtMS(r.AUC["score"], 3), fmtMS(r.AUC["simans"], 3), fmtMS(r.AUC["bm25"], 3),
				fmtMS(r.AUC["rprec_s_fn"], 3), fmtMS(r.AUC["rprec_score"], 3), fmtMS(r.AUC["rprec_simans"], 3), fmtMS(r.AUC["rprec_bm25"], 3),
				fmtMS(r.AUC["top20_s_fn"], 3), fmtMS(r.AUC["top20_score"], 3), fmtMS(r.AUC["top20_simans"], 3))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, r := range results {
		if len(r.Lambda) > 0 {
			var ls []string
			for _, x := range r.Lambda {
				ls = append(ls, strconv.FormatFloat(x, 'g', -1, 64))
			}
			fmt.Fprintf(w, "%s: λ_RR chosen per seed: %s.\n", r.Method, strings.Join(ls, ", "))
		}
	}
	writeSelfTraining(w, results, o)
	if len(o.variants) > 0 {
		writeVariants(w, results, o)
	}
}

// lambdaText describes the rerank methods' λ_RR for the table's header.
func lambdaText(o *expOptions) string {
	if len(o.rerankGrid) == 0 {
		return strconv.FormatFloat(o.rerankLambda, 'g', -1, 64)
	}
	var g []string
	for _, x := range o.rerankGrid {
		g = append(g, strconv.FormatFloat(x, 'g', -1, 64))
	}
	return "chosen per seed from {" + strings.Join(g, ", ") + "} by cross-fitted nDCG@10 on the training queries (0 unless the best beats it with p < 0.05)"
}

// writeSelfTraining writes, for the methods that self-trained, how many
// candidates were promoted to positives and, with planted negatives, how
// many of them were planted.
func writeSelfTraining(w io.Writer, results []*methodResult, o *expOptions) {
	var st []*methodResult
	for _, r := range results {
		if r.SelfTrain != nil {
			st = append(st, r)
		}
	}
	if len(st) == 0 {
		return
	}
	fmt.Fprintf(w, "Self-training: candidates promoted to positives over the run, per seed (mean ± std).\n\n")
	if o.hide > 0 {
		fmt.Fprintln(w, "| method | promoted | planted among the promoted | share of planted documents promoted |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
	} else {
		fmt.Fprintln(w, "| method | promoted |")
		fmt.Fprintln(w, "|---|--:|")
	}
	for _, r := range st {
		fmt.Fprintf(w, "| %s | %s |", r.Method, fmtMS(r.SelfTrain["promoted"], 1))
		if o.hide > 0 {
			fmt.Fprintf(w, " %s | %s |", fmtMS(r.SelfTrain["precision"], 3), fmtMS(r.SelfTrain["planted_recall"], 3))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// writeVariants writes the adapter ablation: per trained method and
// variant, reranking's nDCG@10 and, with planted negatives, how well s_FN
// finds them.
func writeVariants(w io.Writer, results []*methodResult, o *expOptions) {
	fmt.Fprintf(w, "Adapter variants, each fitted on every trained method's final model (RRRA parameters %q plus the variant's); "+
		"reranking with λ %g over the top %d.\n\n", o.rrraParams, o.rerankLambda, o.rerankK)
	head, sep := "| method | variant | parameters | rerank nDCG@10 |", "|---|---|---|--:|"
	if o.hide > 0 {
		head += " AUC s_FN | R-prec s_FN | top-20 AUC s_FN |"
		sep += "--:|--:|--:|"
	}
	fmt.Fprintln(w, head+" fit s |")
	fmt.Fprintln(w, sep+"--:|")
	for _, r := range results {
		for _, v := range o.variants {
			m := r.Variants[v.Name]
			if m == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | `%s` | %s |", r.Method, v.Name, v.Params, fmtMS(m["rerank_ndcg_cut_10"], 4))
			if o.hide > 0 {
				fmt.Fprintf(w, " %s | %s | %s |", fmtMS(m["auc_s_fn"], 3), fmtMS(m["rprec_s_fn"], 3), fmtMS(m["top20_auc_s_fn"], 3))
			}
			fmt.Fprintf(w, " %s |\n", fmtMS(m["fit_seconds"], 1))
		}
	}
	fmt.Fprintln(w)
}

// summary is the JSON form of the results.
type summary struct {
	Data    string           `json:"data"`
	Seeds   int              `json:"seeds"`
	Args    []string         `json:"args"`
	Date    string           `json:"date"`
	Machine string           `json:"machine"`
	Best    string           `json:"best_baseline,omitempty"`
	Methods []map[string]any `json:"methods"`
}

func summarise(results []*methodResult, o *expOptions) summary {
	s := summary{Data: o.dataName, Seeds: o.seeds, Args: o.argv, Date: o.startedAt.Format(time.RFC3339),
		Machine: fmt.Sprintf("%s, %d threads, %s kernels", kernels.CPU().Brand, kernels.Threads(), kernels.Selected())}
	best := bestBaseline(results, o)
	if best != nil {
		s.Best = best.Method
	}
	for _, r := range results {
		m := map[string]any{"method": r.Method, "per_seed": r.Mean, "seconds_per_seed": r.Seconds}
		means := map[string]float64{}
		for k, v := range r.Mean {
			means[k], _ = meanStd(v)
		}
		m["mean"] = means
		if o.hide > 0 {
			m["planted_share"] = nanToNil(r.Planted)
			m["hardness"], m["from_pool"] = r.Hardness, r.FromPool
			m["planted_auc"] = r.AUC
		}
		if r.SelfTrain != nil {
			st := map[string]any{}
			for k, v := range r.SelfTrain {
				st[k] = nanToNil(v)
			}
			m["self_training"] = st
		}
		if len(r.Lambda) > 0 {
			m["rerank_lambda"] = r.Lambda
		}
		if best != nil && strings.HasPrefix(r.Method, "rrra") {
			if pv, err := metrics.RandomizationTest(perQueryMean(r, o.seeds), perQueryMean(best, o.seeds), 10000, 1); err == nil {
				m["p_vs_best"] = pv
			}
		}
		m["ndcg_cut_10_per_query"] = perQueryMean(r, o.seeds)
		if len(r.Variants) > 0 {
			m["variants"] = r.Variants
		}
		s.Methods = append(s.Methods, m)
	}
	return s
}

func nanToNil(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		if !math.IsNaN(x) {
			out[i] = x
		}
	}
	return out
}
