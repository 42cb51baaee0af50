package experiment

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// env is what every run of one seed shares.
type env struct {
	cfg    *Config
	grid   []float64
	d      *beir.Dataset
	td     *retrieval.TrainData // training queries, hidden positives removed
	trainQ beir.Qrels           // their qrels
	hidden map[int]map[int32]bool
	testQ  []beir.Query
	test   beir.Qrels
	tok    *wordpiece.Tokenizer
	vocab  *wordpiece.Vocab
	bm     *bm25.Index
	lex    *adapter.Lexical // the adapters' lexical feature (read only by adapters with lex_feature)
	log    io.Writer
}

// Run runs the experiment cfg describes on d's train and test splits. It
// checks cfg first, and ctx between training runs.
func Run(ctx context.Context, d *beir.Dataset, cfg Config) (*Results, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	train, _, err := d.Qrels("train")
	if err != nil {
		return nil, err
	}
	test, _, err := d.Qrels("test")
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	var hiddenIDs map[string][]string
	if cfg.HidePositives > 0 {
		train, hiddenIDs = retrieval.HidePositives(train, cfg.HidePositives, 1)
		n := 0
		for _, h := range hiddenIDs {
			n += len(h)
		}
		fmt.Fprintf(log, "planted false negatives: hid %d relevant documents of %d training queries (share %g)\n", n, len(hiddenIDs), cfg.HidePositives)
	}
	td, _, err := retrieval.NewTrainData(d, train)
	if err != nil {
		return nil, err
	}
	e := &env{cfg: &cfg, grid: cfg.grid(), d: d, td: td, trainQ: train, test: test, testQ: d.SplitQueries(test), log: log, hidden: map[int]map[int32]bool{}}
	for q, qid := range td.QueryIDs {
		for _, did := range hiddenIDs[qid] {
			i, _ := d.Corpus.Index(did)
			if e.hidden[q] == nil {
				e.hidden[q] = map[int32]bool{}
			}
			e.hidden[q][int32(i)] = true
		}
	}
	if e.vocab, err = wordpiece.TrainTexts(td.Docs, wordpiece.TrainOptions{VocabSize: cfg.VocabSize, Lower: true}); err != nil {
		return nil, err
	}
	e.tok = wordpiece.New(e.vocab, true)
	e.bm = retrieval.BuildBM25(td)
	e.lex = adapter.NewLexical(e.bm)
	res := &Results{Data: d.Name, Seeds: cfg.Seeds, Args: cfg.Args, Date: started.Format(time.RFC3339)}
	for _, m := range cfg.Methods {
		rows := []Method{m}
		if slices.Contains(cfg.Hybrid, m) {
			for _, f := range Fusions {
				rows = append(rows, HybridRow(m, f))
			}
		}
		for _, row := range rows {
			res.Methods = append(res.Methods, MethodResult{Method: row, PerSeed: map[string][]float64{}, perQuerySum: map[string]float64{},
				AUC: map[string][]float64{}, Variants: map[string]map[string][]float64{}})
		}
	}
	for seed := 1; seed <= cfg.Seeds; seed++ {
		if err := e.runSeed(ctx, uint64(seed), res.Methods); err != nil {
			return nil, err
		}
	}
	cpu := kernels.CPU()
	res.Machine = fmt.Sprintf("%s, %d threads, %s kernels", cpu.Brand, kernels.Threads(), kernels.Selected())
	rec := cfg
	rec.RerankGrid = e.grid
	res.Setup = Setup{Docs: d.Corpus.Len(), TrainQueries: len(td.Queries), TestQueries: len(e.testQ),
		CPU: cpu.Brand, Kernels: kernels.Selected(), GoVersion: runtime.Version(), Threads: kernels.Threads(), Config: rec}
	res.finish(cfg.HidePositives > 0)
	res.Setup.Minutes = time.Since(started).Minutes()
	return res, nil
}

func (e *env) runSeed(ctx context.Context, seed uint64, results []MethodResult) error {
	c := e.cfg
	mc, err := nn.Preset(c.Model, e.vocab.Len())
	if err != nil {
		return err
	}
	m, err := nn.NewBert(mc, seed)
	if err != nil {
		return err
	}
	bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true, Temperature: float32(c.Temperature)}
	enc := retrieval.NewEncoder(bi, e.tok, c.QueryLen, c.DocLen)
	init := slices.Clone(m.Params.Data())
	var warm []float32
	for i := range results {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &results[i]
		if r.Method.isHybrid() {
			continue // ranked with its base method's model, below
		}
		began := time.Now()
		var run metrics.Run
		var folds adapter.Folds
		var start []float32 // the weights the method fine-tuned from
		planted := math.NaN()
		switch r.Method {
		case BM25:
			qids, texts := retrieval.QueryTexts(e.testQ)
			run = retrieval.BM25Search(e.bm, qids, texts, 100)
		default:
			if r.Method == NoWarmup {
				start = init
			} else {
				if warm == nil {
					copy(m.Params.Data(), init)
					if _, err := e.train(e.td, bi, enc, m, "random", seed, true, nil, ""); err != nil {
						return err
					}
					warm = slices.Clone(m.Params.Data())
				}
				start = warm
			}
			copy(m.Params.Data(), start)
			if r.Method != Crops {
				if planted, err = e.fineTune(r, bi, enc, m, seed); err != nil {
					return err
				}
			}
			if run, folds, err = e.evaluateModel(r, bi, enc, m, seed); err != nil {
				return err
			}
		}
		if err := e.record(r, seed, run, planted, began); err != nil {
			return err
		}
		var fusion *adapter.Fusion
		if slices.Contains(c.Hybrid, r.Method) {
			if fusion, err = e.hybrid(results[i+1:i+1+len(Fusions)], r.Method, bi, enc, m, start, seed); err != nil {
				return err
			}
		}
		if seed == 1 && r.Method.reranks() && c.SaveModel != "" && (r.Method == RRRA || !slices.Contains(c.Methods, RRRA)) {
			// The model, its adapters and its learned fusion, in one swap
			// of the folder.
			save := func(tmp string) error {
				if err := folds.Save(filepath.Join(tmp, adapter.File)); err != nil {
					return err
				}
				if fusion != nil {
					return fusion.Save(filepath.Join(tmp, adapter.FusionFile))
				}
				return nil
			}
			if err := nn.SaveBiEncoderWith(c.SaveModel, bi, &nn.Model{Bert: m, Vocab: e.vocab, Lower: true}, save); err != nil {
				return err
			}
			what := "its adapters"
			if fusion != nil {
				what += " and its learned fusion"
			}
			fmt.Fprintf(e.log, "saved the %s model, %s to %s\n", r.Method, what, c.SaveModel)
		}
	}
	return nil
}

// record evaluates one method's run of one seed on the test queries,
// adds it to r and logs it.
func (e *env) record(r *MethodResult, seed uint64, run metrics.Run, planted float64, began time.Time) error {
	rep, err := metrics.Evaluate(metrics.Qrels(e.test), run, Measures, metrics.Options{Complete: true})
	if err != nil {
		return err
	}
	for _, k := range Measures {
		r.PerSeed[k] = append(r.PerSeed[k], rep.Mean[k])
	}
	for q, v := range rep.PerQuery {
		r.perQuerySum[q] += v["ndcg_cut_10"]
	}
	r.Planted = append(r.Planted, planted)
	r.Seconds = append(r.Seconds, time.Since(began).Seconds())
	fmt.Fprintf(e.log, "seed %d  %-16s nDCG@10 %.4f  MRR@10 %.4f  R@100 %.4f", seed, r.Method,
		rep.Mean["ndcg_cut_10"], rep.Mean["mrr_cut_10"], rep.Mean["recall_100"])
	if !math.IsNaN(planted) && len(e.hidden) > 0 {
		fmt.Fprintf(e.log, "  planted share %.4f", planted)
		if len(r.Hardness) == int(seed) {
			fmt.Fprintf(e.log, "  hardness %.3f", r.Hardness[seed-1])
		}
	}
	for _, k := range []string{"s_fn", "score", "simans", "bm25"} {
		if v := r.AUC[k]; len(v) == int(seed) {
			fmt.Fprintf(e.log, "  AUC %s %.3f", k, v[len(v)-1])
		}
	}
	fmt.Fprintf(e.log, "  (%.0fs)\n", time.Since(began).Seconds())
	return nil
}

// hybrid fits the fusions of one seed's model of a method and records its
// hybrid rows (rows, in Fusions order). m holds the trained weights,
// start the weights the method fine-tuned from: two more models are
// trained the method's way from start, one on each half of the training
// queries, for the fusions' out-of-sample features (FusionTrainingSet);
// m's weights are restored after. It returns the learned fusion.
func (e *env) hybrid(rows []MethodResult, base Method, bi *nn.BiEncoder, enc *retrieval.Encoder, m *nn.Bert, start []float32, seed uint64) (*adapter.Fusion, error) {
	began := time.Now()
	trained := slices.Clone(m.Params.Data())
	half := 0
	train := func(q beir.Qrels) (*retrieval.Encoder, error) {
		half++
		td, _, err := retrieval.NewTrainData(e.d, q)
		if err != nil {
			return nil, err
		}
		copy(m.Params.Data(), start)
		if _, err := e.train(td, bi, enc, m, base.sampler(), seed, false, nil, fmt.Sprintf(" (half %d, for the fusion)", half)); err != nil {
			return nil, err
		}
		return enc, nil
	}
	fq, err := adapter.FusionTrainingSet(e.d, e.trainQ, train, e.log)
	copy(m.Params.Data(), trained)
	if err != nil {
		return nil, err
	}
	alpha, linTrain := adapter.TuneLinearFusion(fq)
	fmt.Fprintf(e.log, "seed %d  %-16s linear fusion: α %g (nDCG@10 %.4f on the training queries)\n", seed, base, alpha, linTrain)
	learned, chosen, err := adapter.SelectFusionLogged(fq, e.log)
	if err != nil {
		return nil, err
	}
	ix, err := retrieval.IndexCorpus(enc, e.td, nil)
	if err != nil {
		return nil, err
	}
	qids, texts := retrieval.QueryTexts(e.testQ)
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return nil, err
	}
	for j, f := range Fusions {
		h := &adapter.HybridRanker{Index: ix, BM25: e.bm, K: 100, Scale: enc.LogitScale()}
		r := &rows[j]
		switch f {
		case FusionLinear:
			h.Fusion = adapter.LinearFusion(alpha)
			r.FusionChoice = append(r.FusionChoice, alpha)
		case FusionLearned:
			h.Fusion = learned
			r.FusionChoice = append(r.FusionChoice, float64(chosen.Hidden))
		}
		run, err := h.Search(qids, texts, qv, 100)
		if err != nil {
			return nil, err
		}
		if err := e.record(r, seed, run, math.NaN(), began); err != nil {
			return nil, err
		}
	}
	return learned, nil
}

// fineTune trains the shared model with r's sampler from its current
// weights, recording the first seed's curve, self-training's promotions
// and what the sampler drew; it returns the share of drawn negatives that
// were planted (NaN when none was drawn).
func (e *env) fineTune(r *MethodResult, bi *nn.BiEncoder, enc *retrieval.Encoder, m *nn.Bert, seed uint64) (float64, error) {
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
	tr, err := e.train(e.td, bi, enc, m, r.Method.sampler(), seed, false, watch, "")
	if err != nil {
		return 0, err
	}
	if seed == 1 {
		r.Curve = tr.History
	}
	if s, ok := tr.Sampler.(*adapter.Sampler); ok && s.Cfg.SelfTrain > 0 {
		e.recordPromotions(r, s.Promoted)
	}
	planted := math.NaN()
	if drawn > 0 {
		planted = float64(hit) / float64(drawn)
		r.FromPool = append(r.FromPool, float64(inPool)/float64(drawn))
	}
	if inPool > 0 {
		// Pool scores are logits (cosine/τ) of the model that mined the
		// pool; report cosines.
		r.Hardness = append(r.Hardness, poolScore/float64(inPool)*float64(bi.Temperature))
	}
	return planted, nil
}

// evaluateModel searches the test queries with the trained model (and
// its adapters, for the rerank methods, which it returns), and runs the
// planted study and the adapter variants on it.
func (e *env) evaluateModel(r *MethodResult, bi *nn.BiEncoder, enc *retrieval.Encoder, m *nn.Bert, seed uint64) (metrics.Run, adapter.Folds, error) {
	c := e.cfg
	dv, err := enc.Docs(e.td.Docs, nil)
	if err != nil {
		return nil, nil, err
	}
	qv, err := enc.Queries(e.td.Queries, nil)
	if err != nil {
		return nil, nil, err
	}
	fm, err := e.newFinalModel(enc, dv)
	if err != nil {
		return nil, nil, err
	}
	rerank := r.Method.reranks()
	var folds adapter.Folds
	var ts *retrieval.TokenStates
	toks := &modelTokens{enc: enc, docs: e.td.Docs}
	if rerank || len(e.hidden) > 0 {
		if ts, err = toks.forParams(c.RRRAParams); err != nil {
			return nil, nil, err
		}
		if folds, err = e.fitAdapters(qv, dv, ts, enc.Dim(), seed, c.RRRAParams); err != nil {
			return nil, nil, err
		}
	}
	lambda := c.RerankLambda
	if rerank && len(e.grid) > 0 {
		if lambda, err = e.tuneLambda(r, seed, fm.ix, qv, ts, folds); err != nil {
			return nil, nil, err
		}
	}
	run, err := e.denseRun(fm, ts, folds, rerank, lambda)
	if err != nil {
		return nil, nil, err
	}
	if len(e.hidden) > 0 {
		auc, sfn, planted, err := e.plantedAUC(qv, dv, ts, enc.Dim(), folds, bi.Temperature)
		if err != nil {
			return nil, nil, err
		}
		for k, v := range auc {
			r.AUC[k] = append(r.AUC[k], v)
		}
		fmt.Fprintf(e.log, "seed %d  %-16s AUC among each query's top %d: s_FN %.3f  score %.3f  SimANS %.3f  BM25 %.3f\n", seed, r.Method, topAUC,
			auc["top20_s_fn"], auc["top20_score"], auc["top20_simans"], auc["top20_bm25"])
		if seed == 1 {
			r.SFN, r.IsPlanted = sfn, planted
		}
	}
	if r.Method != Crops {
		if err := e.runVariants(r, enc, fm, toks, qv, dv, seed, bi.Temperature); err != nil {
			return nil, nil, err
		}
	}
	return run, folds, nil
}

// train runs one training phase on the shared model with td's queries;
// note is added to its progress bar's name.
func (e *env) train(td *retrieval.TrainData, bi *nn.BiEncoder, enc *retrieval.Encoder, m *nn.Bert, smpName string, seed uint64, crops bool,
	watch func(int, []int32, []retrieval.Candidate), note string) (*retrieval.Trainer, error) {
	c := e.cfg
	tc := retrieval.TrainConfig{Steps: c.Steps, BatchQueries: c.Batch, Negatives: c.Negatives, LR: c.LR,
		WarmupSteps: c.Steps / 10, WeightDecay: 0.01, ClipNorm: 1, RefreshEvery: c.Refresh, InitialPool: "bm25", Seed: seed, LogEvery: max(1, c.Steps/3)}
	if crops {
		tc.Crops, tc.Steps, tc.BatchQueries, tc.LR, tc.WarmupSteps = true, c.WarmSteps, c.WarmBatch, c.WarmLR, c.WarmSteps/10
	}
	tr := &retrieval.Trainer{Cfg: tc, Data: td, Bi: bi, Params: m.Params, Enc: enc, BM25: e.bm, OnNegatives: watch, Log: c.TrainLog}
	if smpName == "rrra" {
		sc, err := c.samplerConfig(c.RRRAParams, seed)
		if err != nil {
			return nil, err
		}
		ts, err := adapter.NewTrainingSampler(sc, enc, td, e.bm, seed)
		if err != nil {
			return nil, err
		}
		ts.Log = c.TrainLog
		ts.Prepare(tr)
	} else {
		smp, err := retrieval.NewSampler(smpName, "")
		if err != nil {
			return nil, err
		}
		tr.Sampler = smp
	}
	if c.OnTrain != nil {
		what := fmt.Sprintf("seed %d %s%s", seed, smpName, note)
		if crops {
			what = fmt.Sprintf("seed %d crops", seed)
		}
		tr.OnStep = c.OnTrain(what, tc.Steps)
	}
	_, err := tr.Run()
	return tr, err
}

// recordPromotions adds to r what self-training promoted in one seed's
// run: how many, and with planted false negatives, the share of them that
// were planted (the rest are documents the qrels do not judge relevant)
// and the share of the planted documents it promoted.
func (e *env) recordPromotions(r *MethodResult, promoted []adapter.Promotion) {
	if r.SelfTrain == nil {
		r.SelfTrain = map[string]Floats{}
	}
	r.SelfTrain["promoted"] = append(r.SelfTrain["promoted"], float64(len(promoted)))
	fmt.Fprintf(e.log, "  self-training promoted %d candidates to positives", len(promoted))
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
		fmt.Fprintf(e.log, ", %d of them planted (%d planted in all)", hit, total)
	}
	fmt.Fprintln(e.log)
}

// runVariants fits and measures each adapter variant on the final model
// of one method and seed.
func (e *env) runVariants(r *MethodResult, enc *retrieval.Encoder, fm *finalModel, toks *modelTokens, qv, dv []float32, seed uint64, tau float32) error {
	for _, v := range e.cfg.Variants {
		began := time.Now()
		ts, err := toks.forParams(v.Params)
		if err != nil {
			return err
		}
		folds, err := e.fitAdapters(qv, dv, ts, enc.Dim(), seed, v.Params)
		if err != nil {
			return err
		}
		fit := time.Since(began).Seconds()
		if r.Variants[v.Name] == nil {
			r.Variants[v.Name] = map[string][]float64{}
		}
		m := r.Variants[v.Name]
		m["fit_seconds"] = append(m["fit_seconds"], fit)
		run, err := e.denseRun(fm, ts, folds, true, e.cfg.RerankLambda)
		if err != nil {
			return err
		}
		rep, err := metrics.Evaluate(metrics.Qrels(e.test), run, []string{"ndcg_cut_10"}, metrics.Options{Complete: true})
		if err != nil {
			return err
		}
		m["rerank_ndcg_cut_10"] = append(m["rerank_ndcg_cut_10"], rep.Mean["ndcg_cut_10"])
		line := fmt.Sprintf("seed %d  %-16s variant %-12s rerank nDCG@10 %.4f", seed, r.Method, v.Name, rep.Mean["ndcg_cut_10"])
		if len(e.hidden) > 0 {
			auc, _, _, err := e.plantedAUC(qv, dv, ts, enc.Dim(), folds, tau)
			if err != nil {
				return err
			}
			m["auc_s_fn"] = append(m["auc_s_fn"], auc["s_fn"])
			m["rprec_s_fn"] = append(m["rprec_s_fn"], auc["rprec_s_fn"])
			m["top20_auc_s_fn"] = append(m["top20_auc_s_fn"], auc["top20_s_fn"])
			line += fmt.Sprintf("  AUC s_FN %.3f  R-prec %.3f  top-20 AUC %.3f", auc["s_fn"], auc["rprec_s_fn"], auc["top20_s_fn"])
		}
		fmt.Fprintf(e.log, "%s  (fit %.0fs)\n", line, fit)
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
	if err := adapter.ParseParams(params, &cfg); err != nil || !cfg.Token {
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
// queries and fits cross-fitted adapters with the given RRRA parameters,
// as the RRRA sampler does.
func (e *env) fitAdapters(qv, dv []float32, ts *retrieval.TokenStates, dim int, seed uint64, params string) (adapter.Folds, error) {
	cfg, err := e.cfg.samplerConfig(params, seed)
	if err != nil {
		return nil, err
	}
	return adapter.FitFolds(cfg, e.td, qv, dv, ts, e.lex, dim, seed)
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
func (e *env) newFinalModel(enc *retrieval.Encoder, dv []float32) (*finalModel, error) {
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

// reranker returns the reranker of folds at λ, with the run's τ_b.
func (e *env) reranker(folds adapter.Folds, ts *retrieval.TokenStates, lambda float64) (*adapter.Reranker, error) {
	return adapter.NewReranker(folds, e.cfg.Temperature, adapter.RerankConfig{K: e.cfg.RerankK, Lambda: lambda, TauB: e.cfg.Temperature, Tokens: ts, Lexical: e.lex})
}

// denseRun searches the test queries, reranking with the adapters when
// asked.
func (e *env) denseRun(fm *finalModel, ts *retrieval.TokenStates, folds adapter.Folds, rerank bool, lambda float64) (metrics.Run, error) {
	if !rerank {
		return retrieval.DenseSearch(fm.ix, fm.qids, fm.qv, 100), nil
	}
	rr, err := e.reranker(folds, ts, lambda)
	if err != nil {
		return nil, err
	}
	return rr.Search(fm.ix, fm.qids, fm.texts, fm.qv)
}

// tuneLambda chooses λ_RR for one seed's rerank method from the grid
// (Reranker.TuneLambda: cross-fitted nDCG@10 on the training queries,
// ties to the smaller λ) and records it in r. ix indexes the corpus, qv
// holds the training queries' vectors.
func (e *env) tuneLambda(r *MethodResult, seed uint64, ix *index.Flat, qv []float32, ts *retrieval.TokenStates, folds adapter.Folds) (float64, error) {
	rr, err := e.reranker(folds, ts, 0)
	if err != nil {
		return 0, err
	}
	lambda, scores, p, err := rr.TuneLambda(ix, e.td, qv, e.grid)
	if err != nil {
		return 0, err
	}
	r.Lambda = append(r.Lambda, lambda)
	var parts []string
	for i, x := range e.grid {
		parts = append(parts, fmt.Sprintf("λ %g: %.4f", x, scores[i]))
	}
	fmt.Fprintf(e.log, "seed %d  %-16s λ_RR %g chosen on the training queries (nDCG@10 %s; best against λ 0: p %.3g)\n", seed, r.Method, lambda, strings.Join(parts, ", "), p)
	return lambda, nil
}
