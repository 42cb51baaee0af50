// Command hybrid measures hybrid ranking on a BEIR collection with a
// trained bi-encoder: BM25, the dense model, reciprocal rank fusion, a
// linear fusion with one weight tuned on the training queries, and the
// learned fusion (adapter.Fusion, chosen by cross-fitted nDCG@10 on the
// training queries among a linear and two hidden-layer models, then fitted
// on them all), each over the union of both top-K lists, on the test
// queries:
//
//	go run ./bench/cmd/hybrid --data cranfield --model rrra-demo/model
//
// It prints nDCG@10, MRR@10 and R@100 per method and the paired
// randomization test (10,000 trials) of per-query nDCG@10 of the fused
// methods against BM25 and against reciprocal rank fusion; --save writes
// the learned fusion (adapter.FusionFile) to a folder. It also times one
// query at a time: the dense search, BM25, and the whole hybrid ranking
// (HYBRID_CPUPROFILE=FILE writes a CPU profile of the latter).
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
)

func main() {
	data := flag.String("data", "cranfield", "BEIR folder or embedded collection")
	model := flag.String("model", "rrra-demo/model", "bi-encoder folder")
	k := flag.Int("k", 100, "candidates from each list, and results per query")
	folds := flag.Int("folds", 5, "cross-fitting folds for choosing the fusion")
	save := flag.String("save", "", "folder to write the learned fusion into")
	crossfit := flag.String("crossfit", "", "fit on out-of-sample features from two models, TRAIN,DEV: one trained without the half of the training queries SplitDev(0.5) carves off, one trained on that half only")
	writeHalf := flag.String("write-dev-half", "", "write a BEIR folder here whose train qrels are the half of the training queries SplitDev(0.5) carves off (for training the second --crossfit model), and stop")
	devFrac := flag.Float64("dev-frac", 0, "fit the fusion and tune the linear weight on the training queries rrra train --dev-frac carved off (and so did not train on), not on all of them (0: all)")
	flag.Parse()
	if err := checkFlags(*k, *folds, *devFrac, *crossfit); err != nil {
		fmt.Fprintln(os.Stderr, "hybrid:", err)
		os.Exit(2)
	}
	if *writeHalf != "" {
		if err := writeDevHalf(*data, *writeHalf); err != nil {
			fmt.Fprintln(os.Stderr, "hybrid:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*data, *model, *k, *folds, *devFrac, *crossfit, *save); err != nil {
		fmt.Fprintln(os.Stderr, "hybrid:", err)
		os.Exit(1)
	}
}

func run(data, model string, k, folds int, devFrac float64, crossfit, save string) error {
	began := time.Now()
	d, err := open(data)
	if err != nil {
		return err
	}
	corpus := retrieval.NewCorpusData(d)
	bm := retrieval.BuildBM25(corpus)
	// ranker loads a model folder and indexes the corpus with it.
	ranker := func(model string) (*retrieval.Encoder, *adapter.HybridRanker, error) {
		enc, err := retrieval.LoadEncoder(model, retrieval.EncoderOptions{})
		if err != nil {
			return nil, nil, err
		}
		ix, err := retrieval.IndexCorpus(enc, corpus, nil)
		if err != nil {
			return nil, nil, err
		}
		return enc, &adapter.HybridRanker{Index: ix, BM25: bm, K: k, Scale: enc.LogitScale()}, nil
	}
	enc, h, err := ranker(model)
	if err != nil {
		return err
	}
	ix := h.Index
	docOf := map[string]int{}
	for i, id := range corpus.DocIDs {
		docOf[id] = i
	}
	type split struct {
		qrels beir.Qrels
		qids  []string
		texts []string
		qv    []float32
		cands [][]adapter.HybridCandidate
		fq    []adapter.FusionQuery
	}
	// load makes the candidates of the queries of q with a model.
	load := func(q beir.Qrels, enc *retrieval.Encoder, h *adapter.HybridRanker) (*split, error) {
		s := &split{qrels: q}
		s.qids, s.texts = retrieval.QueryTexts(d.SplitQueries(q))
		var err error
		if s.qv, err = enc.Queries(s.texts, nil); err != nil {
			return nil, err
		}
		if s.cands, err = h.AllCandidates(s.texts, s.qv); err != nil {
			return nil, err
		}
		for i, cs := range s.cands {
			judged := map[int]float32{}
			for id, g := range q[s.qids[i]] {
				if doc, ok := docOf[id]; ok {
					judged[doc] = float32(g)
				}
			}
			s.fq = append(s.fq, adapter.FusionQueryOf(cs, judged))
		}
		return s, nil
	}
	trainQ, _, err := d.Qrels("train")
	if err != nil {
		return err
	}
	testQ, _, err := d.Qrels("test")
	if err != nil {
		return err
	}
	var train *split
	switch {
	case crossfit != "":
		// Two models, each trained on one half of the training queries
		// (SplitDev at 0.5): each half's features come from the model
		// that did not see it.
		models := strings.Split(crossfit, ",")
		if len(models) != 2 {
			return fmt.Errorf("--crossfit %q: want two model folders, trained on the train and the dev half", crossfit)
		}
		tHalf, dHalf := retrieval.SplitDev(trainQ, 0.5)
		train = &split{}
		for i, half := range []beir.Qrels{dHalf, tHalf} {
			e, hr, err := ranker(models[i])
			if err != nil {
				return err
			}
			s, err := load(half, e, hr)
			if err != nil {
				return err
			}
			train.qids, train.texts = append(train.qids, s.qids...), append(train.texts, s.texts...)
			train.cands, train.fq = append(train.cands, s.cands...), append(train.fq, s.fq...)
		}
	case devFrac > 0:
		_, dev := retrieval.SplitDev(trainQ, devFrac) // the queries the model did not see
		if train, err = load(dev, enc, h); err != nil {
			return err
		}
	default:
		if train, err = load(trainQ, enc, h); err != nil {
			return err
		}
	}
	test, err := load(testQ, enc, h)
	if err != nil {
		return err
	}

	// The linear fusion's weight, tuned on the training queries.
	bestAlpha, bestTrain := adapter.TuneLinearFusion(train.fq)
	configs := adapter.DefaultFusionConfigs()
	fusion, chosen, means, err := adapter.SelectFusion(train.fq, configs, folds)
	if err != nil {
		return err
	}
	if save != "" {
		if err := fusion.Save(save + "/" + adapter.FusionFile); err != nil {
			return err
		}
	}

	// A diagnostic: the learned fusion cross-fitted on the test queries
	// themselves (5 folds; each fold scored by a fusion chosen and fitted
	// on the other four), whose dense scores, unlike the training
	// queries', are out of sample for the bi-encoder.
	cvScores := make([][]float32, len(test.fq))
	for fo := 0; fo < folds; fo++ {
		var tr []adapter.FusionQuery
		for q := range test.fq {
			if q%folds != fo {
				tr = append(tr, test.fq[q])
			}
		}
		f, _, _, err := adapter.SelectFusion(tr, configs, folds)
		if err != nil {
			return err
		}
		for q := range test.fq {
			if q%folds == fo {
				cvScores[q] = f.ScoreAll(test.fq[q].Feats)
			}
		}
	}

	runOf := func(score func(q int, cs []adapter.HybridCandidate) []float32) metrics.Run {
		run := metrics.Run{}
		for q, cs := range test.cands {
			s := score(q, cs)
			rs := make([]metrics.Result, len(cs))
			for i, c := range cs {
				rs[i] = metrics.Result{DocID: corpus.DocIDs[c.Doc], Score: float64(s[i])}
			}
			// trec_eval's order (score, then document id, descending), cut.
			slices.SortFunc(rs, func(a, b metrics.Result) int {
				if c := cmp.Compare(b.Score, a.Score); c != 0 {
					return c
				}
				return strings.Compare(b.DocID, a.DocID)
			})
			run[test.qids[q]] = rs[:min(k, len(rs))]
		}
		return run
	}
	runs := []struct {
		name string
		run  metrics.Run
	}{
		{"bm25", retrieval.BM25Search(h.BM25, test.qids, test.texts, k)},
		{"dense", retrieval.DenseSearch(ix, test.qids, test.qv, k)},
		{"rrf", runOf(func(_ int, cs []adapter.HybridCandidate) []float32 {
			out := make([]float32, len(cs))
			for i, c := range cs {
				out[i] = c.Feats[8]
			}
			return out
		})},
		{fmt.Sprintf("linear α=%.2f", bestAlpha), runOf(func(q int, _ []adapter.HybridCandidate) []float32 {
			return adapter.LinearFusion(bestAlpha).ScoreAll(test.fq[q].Feats)
		})},
		{fmt.Sprintf("learned (hidden %d)", chosen.Hidden), runOf(func(_ int, cs []adapter.HybridCandidate) []float32 {
			out := make([]float32, len(cs))
			for i, c := range cs {
				out[i] = fusion.Score(c.Feats)
			}
			return out
		})},
		{"learned, cross-fitted on test", runOf(func(q int, _ []adapter.HybridCandidate) []float32 { return cvScores[q] })},
	}
	measures := []string{"ndcg_cut_10", "mrr_cut_10", "recall_100"}
	reps := make([]*metrics.Report, len(runs))
	for i, r := range runs {
		if reps[i], err = metrics.Evaluate(metrics.Qrels(test.qrels), r.run, measures, metrics.Options{Complete: true}); err != nil {
			return err
		}
	}
	fmt.Printf("%s, model %s, %d test queries, fitted on %d training queries (dev-frac %g, crossfit %q), candidates: top %d of each list; %s\n",
		data, model, len(test.qids), len(train.qids), devFrac, crossfit, k, time.Since(began).Round(time.Second))
	fmt.Printf("linear fusion: α %.2f (train nDCG@10 %.4f); learned: cross-fitted train nDCG@10", bestAlpha, bestTrain)
	for i, c := range configs {
		fmt.Printf(" %.4f (hidden %d)", means[i], c.Hidden)
	}
	fmt.Printf("\n\n")
	// Latency per query, one query at a time: the dense search alone
	// (its vector given), BM25 alone, and the whole hybrid ranking (both
	// searches, the candidates' features, the learned fusion); medians
	// over the test queries of the best of 5 repetitions each.
	lat := func(fn func(q int)) time.Duration {
		var ds []time.Duration
		for q := range test.qids {
			best := time.Duration(math.MaxInt64)
			for range 5 {
				t0 := time.Now()
				fn(q)
				best = min(best, time.Since(t0))
			}
			ds = append(ds, best)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	dim := ix.Dim()
	hf := &adapter.HybridRanker{Index: h.Index, BM25: h.BM25, K: h.K, Scale: h.Scale, Fusion: fusion}
	tDense := lat(func(q int) { ix.SearchOne(test.qv[q*dim:(q+1)*dim], k) })
	tBM25 := lat(func(q int) { h.BM25.Search(test.texts[q], k) })
	if prof := os.Getenv("HYBRID_CPUPROFILE"); prof != "" { // where the hybrid ranking's time goes
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		for range 20 {
			for q := range test.qids {
				hf.Rank(test.texts[q], test.qv[q*dim:(q+1)*dim], k)
			}
		}
		pprof.StopCPUProfile()
		f.Close()
	}
	tHybrid := lat(func(q int) { hf.Rank(test.texts[q], test.qv[q*dim:(q+1)*dim], k) })
	fmt.Printf("latency per query (median, %d threads): dense search %v, BM25 %v, hybrid with the learned fusion %v (fusion's own share: %v, %.0f%% of the dense search)\n\n",
		kernels.Threads(), tDense, tBM25, tHybrid, tHybrid-tDense-tBM25, 100*float64(tHybrid-tDense-tBM25)/float64(tDense))
	fmt.Println("| method | nDCG@10 | MRR@10 | R@100 | p vs bm25 | p vs rrf |")
	fmt.Println("|---|--:|--:|--:|--:|--:|")
	for i, r := range runs {
		p := func(j int) string {
			if i == j || i < 2 {
				return "—"
			}
			c, err := metrics.Compare(reps[i], reps[j], r.name, runs[j].name, 10000)
			if err != nil {
				return "err"
			}
			return fmt.Sprintf("%.4f", c.Measures[0].PRand)
		}
		fmt.Printf("| %s | %.4f | %.4f | %.4f | %s | %s |\n", r.name, reps[i].Mean["ndcg_cut_10"], reps[i].Mean["mrr_cut_10"], reps[i].Mean["recall_100"], p(0), p(2))
	}
	return nil
}

// writeDevHalf writes data's corpus, queries and test qrels to dir with,
// as its train qrels, the training queries SplitDev(0.5) carves off: what
// the model trained with rrra train --dev-frac 0.5 did not see.
func writeDevHalf(data, dir string) error {
	d, err := open(data)
	if err != nil {
		return err
	}
	trainQ, _, err := d.Qrels("train")
	if err != nil {
		return err
	}
	testQ, _, err := d.Qrels("test")
	if err != nil {
		return err
	}
	_, dev := retrieval.SplitDev(trainQ, 0.5)
	if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
		return err
	}
	var corpus, queries bytes.Buffer
	for _, doc := range d.Corpus.Docs {
		b, _ := json.Marshal(map[string]string{"_id": doc.ID, "title": doc.Title, "text": doc.Text})
		corpus.Write(append(b, '\n'))
	}
	for _, q := range d.Queries.List {
		b, _ := json.Marshal(map[string]string{"_id": q.ID, "text": q.Text})
		queries.Write(append(b, '\n'))
	}
	qrels := func(q beir.Qrels) []byte {
		var b bytes.Buffer
		b.WriteString("query-id\tcorpus-id\tscore\n")
		for _, qid := range slices.Sorted(maps.Keys(q)) {
			for _, doc := range slices.Sorted(maps.Keys(q[qid])) {
				fmt.Fprintf(&b, "%s\t%s\t%d\n", qid, doc, q[qid][doc])
			}
		}
		return b.Bytes()
	}
	for file, b := range map[string][]byte{"corpus.jsonl": corpus.Bytes(), "queries.jsonl": queries.Bytes(),
		"qrels/train.tsv": qrels(dev), "qrels/test.tsv": qrels(testQ)} {
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %s: %d of %d training queries\n", dir, len(dev), len(trainQ))
	return nil
}

// open loads a BEIR folder or embedded collection.
func open(data string) (*beir.Dataset, error) {
	fsys, name, err := beir.Open(data)
	if err != nil {
		return nil, err
	}
	return beir.Load(fsys, name, beir.Options{})
}

// checkFlags checks each flag against its domain, before any work.
func checkFlags(k, folds int, devFrac float64, crossfit string) error {
	switch {
	case k < 1 || k > 10000:
		return fmt.Errorf("--k %d: want 1 to 10000", k)
	case folds < 2 || folds > 100:
		return fmt.Errorf("--folds %d: want 2 to 100", folds)
	case !(devFrac >= 0 && devFrac < 1):
		return fmt.Errorf("--dev-frac %g: want 0 or more, below 1", devFrac)
	case devFrac > 0 && crossfit != "":
		return fmt.Errorf("--dev-frac and --crossfit exclude each other")
	}
	return nil
}
