package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

const rerankSynopsis = `rerank [--data DIR] --model DIR --run FILE [--index FILE] [--topics FILE] [--rerank λ] [--rerank-k K] --out FILE

Reranks the candidates of any system's TREC run (Elasticsearch, Vespa,
FAISS, a vector database, rrra search) with the model folder's RRRA
adapters (rrra_adapter.safetensors, from rrra train --sampler rrra), so
that a user of another engine gets RRRA's reranking without a connector.

Each query's candidates are taken in the run's ranking (score
descending, ties by document id, as trec_eval ranks them) and the first --rerank-k
are reranked by s/τ_b + λ·log p_rel, where s is the bi-encoder's score
of the document, computed here from its vector in --index (written by
rrra index with the same model; default: the corpus encoded now) and
the query's encoding, and p_rel the adapters' estimate that the
document is relevant. The run's own scores only order the candidates:
another system's scores are on another scale. The output holds the
reranked top --rerank-k of each query.

Every query of the run must be one of --data's queries (or of
--topics), and every document one of its corpus: an unknown id is an
error naming the run's file and line. When the run's queries are judged
in --split's qrels, nDCG@10 and recall@100 of the run and of its
reranking are printed on stderr.

Examples:

	rrra search --data scifact --method bm25 --k 100 --out bm25.trec
	rrra rerank --data scifact --model model --run bm25.trec --out bm25-rrra.trec
	rrra rerank --data my-beir --model model --index my.idx --run elastic.trec --rerank 0.5 --out reranked.trec`

// runRerank is rrra rerank.
func runRerank(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rerank", rerankSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory with the RRRA adapters (rrra_adapter.safetensors)")
	runPath := fs.String("run", "", "TREC run whose candidates are reranked (qid Q0 docid rank score tag)")
	indexPath := fs.String("index", "", "index file from rrra index with the same model (default: encode the corpus now)")
	topics := fs.String("topics", "", "the run's query texts, when they are not --data's queries: qid<TAB>text lines, or a queries.jsonl")
	split := fs.String("split", "test", "qrels split to evaluate the run and its reranking against, when it judges the run's queries (none: don't)")
	lambda := fs.Float64("rerank", 0.25, "λ_RR, weight of log p_rel in s/τ_b + λ·log p_rel (0: the bi-encoder's order)")
	depth := fs.Int("rerank-k", 100, "reranking depth K_rr: the first K of each query's candidates are reranked and written")
	tau := fs.Float64("rerank-tau", 0, "τ_b, temperature on the bi-encoder's scores (0: the model's training temperature)")
	out := fs.String("out", "", "TREC run file to write, - for stdout")
	tag := fs.String("tag", "rrra-rerank", "run tag in the TREC file")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("rerank", *qLen, *dLen, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("rerank", *precision, stderr); err != nil {
		return err
	}
	if *modelDir == "" || *runPath == "" || *out == "" {
		fmt.Fprintln(stderr, "rrra rerank: --model, --run and --out are required")
		return errUsage
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	// The run is read, and the adapters loaded, before the corpus is
	// encoded: a malformed run or a folder without adapters fails first.
	f, err := os.Open(*runPath)
	if err != nil {
		return err
	}
	cands, lines, err := metrics.ReadRunLines(f, *runPath)
	f.Close()
	if err != nil {
		return err
	}
	if len(cands) == 0 {
		return fmt.Errorf("%s: no results: nothing to rerank", *runPath)
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	if isSet(fs, "split") && *split != "none" { // a split named but missing is a mistake, not "no scores"
		if _, err := qrelsOf(d, *split, io.Discard); err != nil {
			return err
		}
	}
	qids, texts, err := rerankQueries(d, *topics, *runPath, cands, lines)
	if err != nil {
		return err
	}
	docs, err := metrics.Candidates(cands, lines, *runPath, qids, d.Corpus.Index)
	if err != nil {
		return err
	}
	if err := checkRunIDs(d, qids, *topics, *df.data); err != nil {
		return err
	}
	enc, err := loadEncoder(*modelDir, *qLen, *dLen, *precision, stderr)
	if err != nil {
		return err
	}
	if err := df.mem.Dense(enc, d.Corpus.Len(), *indexPath == ""); err != nil {
		return err
	}
	rr, err := adapter.LoadReranker(*modelDir, enc, retrieval.NewCorpusData(d), adapter.RerankConfig{K: *depth, Lambda: *lambda, TauB: *tau})
	if err != nil {
		return fmt.Errorf("rrra rerank needs the adapters that rrra train --sampler rrra saves: %w", err)
	}
	ix, err := openIndex(*indexPath, enc, d, nil, stderr)
	if err != nil {
		return err
	}
	defer ix.Close()
	began := time.Now()
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return err
	}
	lists := make([][]index.Hit, len(qids))
	for i, qid := range qids {
		if lists[i], err = adapter.ScoreCandidates(ix, qv[i*ix.Dim():(i+1)*ix.Dim()], docs[i]); err != nil {
			return fmt.Errorf("%s: query %s: %w", *runPath, qid, err)
		}
	}
	if lists, err = rr.RerankLists(ix, texts, qv, lists); err != nil {
		return err
	}
	reranked := retrieval.HitsRun(qids, lists, ix.ID)
	c := rr.Config()
	fmt.Fprintf(stderr, "reranked the top %d of %d queries with λ %g, τ_b %g (%d adapters) in %.1fs\n",
		c.K, len(qids), c.Lambda, float32(c.TauB), len(rr.Folds()), time.Since(began).Seconds())
	if err := writeRun(reranked, *tag, *out, stdout, stderr); err != nil {
		return err
	}
	if *split == "none" || *topics != "" {
		return nil
	}
	return evalBoth(d, *split, cands, reranked, *runPath, stderr)
}

// rerankQueries returns the run's query ids, in the order WriteRun writes
// them, and their texts: from topics when given, else from d's queries.
// A query the run names but the source lacks is an error naming the
// run's line where it first appears.
func rerankQueries(d *beir.Dataset, topics, runPath string, run metrics.Run, lines map[string][]int) (qids, texts []string, err error) {
	text := make(map[string]string)
	src := filepath.Join("--data", "queries.jsonl")
	if topics != "" {
		tq, tt, err := readTopics(topics)
		if err != nil {
			return nil, nil, err
		}
		for i, q := range tq {
			text[q] = tt[i]
		}
		src = topics
	} else {
		for _, q := range d.Queries.List {
			text[q.ID] = q.Text
		}
	}
	for qid := range run {
		qids = append(qids, qid)
	}
	slices.Sort(qids)
	for _, qid := range qids {
		t, ok := text[qid]
		if !ok {
			return nil, nil, fmt.Errorf("%s:%d: field qid: query %q is not one of the queries of %s", runPath, lines[qid][0], qid, src)
		}
		texts = append(texts, t)
	}
	return qids, texts, nil
}

// evalBoth prints nDCG@10 and recall@100 of the input run and of its
// reranking over the split's judged queries that the run holds, when the
// split exists and judges some.
func evalBoth(d *beir.Dataset, split string, before, after metrics.Run, runPath string, stderr io.Writer) error {
	if !slices.Contains(d.Splits(), split) {
		fmt.Fprintf(stderr, "no split %q: the runs are not evaluated\n", split)
		return nil
	}
	qrels, _, err := d.Qrels(split)
	if err != nil {
		return err
	}
	judged := make(metrics.Qrels)
	for q, j := range qrels {
		if _, ok := before[q]; ok {
			judged[q] = j
		}
	}
	if len(judged) == 0 {
		fmt.Fprintf(stderr, "split %s judges none of the run's queries: not evaluated\n", split)
		return nil
	}
	for _, r := range []struct {
		name string
		run  metrics.Run
	}{{runPath, before}, {"reranked", after}} {
		rep, err := metrics.Evaluate(judged, r.run, []string{"ndcg_cut_10", "recall_100"}, metrics.Options{Complete: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s on %s: nDCG@10 %.4f  recall@100 %.4f over the %d judged queries it holds\n",
			r.name, split, rep.Mean["ndcg_cut_10"], rep.Mean["recall_100"], rep.NumQueries)
	}
	return nil
}
