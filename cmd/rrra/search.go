package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rrra/rrra/adapter"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
	"github.com/rrra/rrra/retrieval/weaviate"
	"github.com/rrra/rrra/tensor"
)

const searchSynopsis = `search [--data DIR] [--split test | --query TEXT... | --topics FILE] --method bm25|dense|hybrid [--model DIR] [--index FILE [--nprobe N] [--rescore N] | --engine weaviate://HOST:PORT/CLASS] --k 100 --out run.trec

Retrieves the top k documents for every query of a split (every query with
--split all), or for ad-hoc queries (--query, repeatable, numbered q1, q2,
...; or --topics, a file of "qid<TAB>text" lines or a queries.jsonl), from
the --data corpus, and writes a TREC run (to stdout with --out -, the
default for ad-hoc queries). bm25 is Lucene's BM25 (k1 0.9, b 0.4,
English stop words, Porter stemming); dense scores with a bi-encoder
(--model) over the corpus encoded now or read from --index (written by
rrra index with the same model): exactly, or, from an IVF index, over the
--nprobe lists nearest each query (--rescore re-scores an SQ8 index's
best candidates exactly); hybrid fuses the two: with
the model folder's learned fusion (rrra_fusion.safetensors, which
go run ./bench/cmd/hybrid --save writes for now) over the union of both
top max(k, 100), else by reciprocal rank (1/(60 + rank)); the log says
which. With --engine, dense takes each query's candidates from a Weaviate
class that rrra export filled with this model's vectors of this corpus
(its nearVector search, exact or HNSW, with rrra's query vector), and
--rerank reranks them with the vectors the engine returns. When the split has qrels, the run's
nDCG@10 and recall@100 are printed on stderr (ad-hoc queries have none).

Examples:

	rrra search --data cranfield --method bm25 --out bm25.trec
	rrra search --data cranfield --query "boundary layer transition" --query "heat transfer at hypersonic speed" --k 5
	rrra search --data scifact --topics my-topics.tsv --method bm25 --out mine.trec
	rrra search --data cranfield --method dense --model rrra-demo/model --index cran.idx --rerank 0.25 --out dense.trec
	rrra search --data scifact --method hybrid --model model --out hybrid.trec
	rrra search --data scifact --method dense --model model --index sf.ivf --nprobe 8 --out ivf.trec
	rrra search --data scifact --method dense --model model --engine weaviate://127.0.0.1:8080/SciFact --rerank 0.25 --out engine.trec`

func runSearch(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("search", searchSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	split := fs.String("split", "test", "query split (a qrels file name), or all")
	var adHoc stringsFlag
	fs.Var(&adHoc, "query", "an ad-hoc query, instead of a split's (repeatable; ids q1, q2, ...; not evaluated)")
	topics := fs.String("topics", "", "a file of ad-hoc queries, instead of a split's: qid<TAB>text lines, or a queries.jsonl (not evaluated)")
	method := fs.String("method", "bm25", "bm25, dense or hybrid")
	modelDir := fs.String("model", "", "bi-encoder directory (dense, hybrid)")
	indexPath := fs.String("index", "", "index file from rrra index (dense, hybrid; default: encode the corpus now)")
	engine := fs.String("engine", "", "dense: take each query's candidates from a vector database instead: weaviate://HOST:PORT/CLASS, a class rrra export wrote with this model")
	k := fs.Int("k", 100, "results per query")
	out := fs.String("out", "", "TREC run file to write, - for stdout (default for --query and --topics: stdout)")
	tag := fs.String("tag", "", "run tag in the TREC file (default: the method)")
	asJSON := fs.Bool("json", false, "print a JSON summary on stdout: the run written, its queries and, with qrels, nDCG@10 and recall@100")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	rrfK := fs.Float64("rrf-k", 60, "hybrid: reciprocal rank fusion constant")
	rerank := fs.Float64("rerank", 0, "dense: λ_RR, rerank the top --rerank-k by s/τ_b + λ·log p_rel with the model's RRRA adapter (0: off)")
	rerankK := fs.Int("rerank-k", 100, "dense: reranking depth K_rr (the run is cut to it)")
	rerankTau := fs.Float64("rerank-tau", 0, "dense: τ_b, temperature on the bi-encoder's scores in reranking (0: the model's training temperature, so s/τ_b are its logits)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	ivf := addIVFFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("search", *qLen, *dLen, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("search", *precision, stderr); err != nil {
		return err
	}
	if *rerank != 0 && (!(*rerank > 0) || math.IsInf(*rerank, 0) || *rerankK < 1 || !(*rerankTau >= 0) || math.IsInf(*rerankTau, 0)) {
		fmt.Fprintf(stderr, "rrra search: --rerank %g, --rerank-k %d, --rerank-tau %g: want a finite λ > 0, a depth ≥ 1 and a finite τ_b ≥ 0 (0: the model's)\n", *rerank, *rerankK, *rerankTau)
		return errUsage
	}
	qids, texts, queriesFrom, err := adHocQueries(fs, adHoc, *topics, stderr)
	if err != nil {
		return err
	}
	if queriesFrom != "" && *out == "" {
		*out = "-"
	}
	if *df.data == "" || *out == "" || *k < 1 {
		fmt.Fprintln(stderr, "rrra search: --data and --out are required; --k ≥ 1")
		return errUsage
	}
	if !(*rrfK > 0) || math.IsInf(*rrfK, 0) {
		fmt.Fprintf(stderr, "rrra search: --rrf-k %g: want a finite constant > 0\n", *rrfK)
		return errUsage
	}
	if *out == "-" && *asJSON {
		fmt.Fprintln(stderr, "rrra search: --json writes its summary on stdout: write the run to a file (--out FILE)")
		return errUsage
	}
	dense := *method == "dense" || *method == "hybrid"
	if *method != "bm25" && !dense {
		fmt.Fprintf(stderr, "rrra search: --method %q: want bm25, dense or hybrid\n", *method)
		return errUsage
	}
	if dense && *modelDir == "" {
		fmt.Fprintln(stderr, "rrra search: --method dense and hybrid need --model")
		return errUsage
	}
	var target weaviate.Target
	if *engine != "" {
		var err error
		if target, err = weaviate.ParseTarget(*engine); err != nil {
			fmt.Fprintf(stderr, "rrra search: --engine: %v\n", err)
			return errUsage
		}
		if *method != "dense" || *indexPath != "" || ivf.set() {
			fmt.Fprintln(stderr, "rrra search: --engine takes the place of --index, and needs --method dense: drop --index, --nprobe and --rescore")
			return errUsage
		}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	// A hybrid search fuses with the model folder's learned fusion when
	// it has one (loaded now, before any work), by reciprocal rank
	// otherwise.
	var fusion *adapter.Fusion
	if *method == "hybrid" {
		path := filepath.Join(*modelDir, adapter.FusionFile)
		var err error
		if fusion, err = adapter.LoadFolderFusion(*modelDir); err != nil {
			return err
		}
		if fusion != nil {
			if *rerank != 0 {
				return fmt.Errorf("--rerank with the learned fusion of %s: the fusion ranks the candidates itself; drop --rerank", path)
			}
			fmt.Fprintf(stderr, "hybrid: the learned fusion of %s over the union of both top %d\n", path, max(*k, 100))
		} else {
			fmt.Fprintf(stderr, "hybrid: reciprocal rank fusion (k %g): %s has no %s\n", *rrfK, *modelDir, adapter.FusionFile)
		}
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	var qrels beir.Qrels
	if queriesFrom == "" {
		queries := d.Queries.List
		if *split != "all" {
			if qrels, err = qrelsOf(d, *split, stderr); err != nil {
				return err
			}
			queries = d.SplitQueries(qrels)
		}
		qids, texts = retrieval.QueryTexts(queries)
	}
	if err := checkRunIDs(d, qids, queriesFrom, *df.data); err != nil {
		return err
	}
	var runs []metrics.Run
	var bm *bm25.Index
	began := time.Now()
	if !dense || *method == "hybrid" {
		if err := df.mem.BM25(); err != nil {
			return err
		}
		bm = retrieval.BuildBM25(retrieval.NewCorpusData(d))
		if fusion == nil {
			runs = append(runs, retrieval.BM25Search(bm, qids, texts, *k))
		}
		fmt.Fprintf(stderr, "bm25: %d queries over %d documents in %.1fs\n", len(qids), d.Corpus.Len(), time.Since(began).Seconds())
	}
	if dense {
		enc, err := loadEncoder(*modelDir, *qLen, *dLen, *precision, stderr)
		if err != nil {
			return err
		}
		if err := df.mem.Dense(enc, d.Corpus.Len(), *indexPath == "" && *engine == ""); err != nil {
			return err
		}
		// The adapters load, and are checked against the model, before
		// the corpus is encoded: a reranking that cannot run fails first.
		var rr *adapter.Reranker
		if *rerank != 0 {
			if rr, err = adapter.LoadReranker(*modelDir, enc, retrieval.NewCorpusData(d), adapter.RerankConfig{K: *rerankK, Lambda: *rerank, TauB: *rerankTau}); err != nil {
				return fmt.Errorf("--rerank needs the adapters that rrra train --sampler rrra saves: %w", err)
			}
			if rr.Folds().Config().Token {
				fmt.Fprintf(stderr, "adapter B: encoded the corpus's token states\n")
			}
		}
		if *engine != "" {
			run, err := engineSearch(target, enc, d, rr, qids, texts, *k, stderr)
			if err != nil {
				return err
			}
			runs = append(runs, run)
		} else if err := indexSearch(*indexPath, enc, d, ivf, rr, fusion, bm, qids, texts, *k, &runs, stderr); err != nil {
			return err
		}
	}
	run := runs[0]
	if len(runs) > 1 {
		var err error
		if run, err = retrieval.FuseRRF(runs, *rrfK, *k); err != nil {
			return err
		}
	}
	if *tag == "" {
		*tag = *method
	}
	if err := writeRun(run, *tag, *out, stdout, stderr); err != nil {
		return err
	}
	summary := map[string]any{"method": *method, "split": *split, "run": *out, "queries": len(qids), "k": *k}
	if queriesFrom != "" {
		delete(summary, "split")
		summary["queries_from"] = queriesFrom
	}
	if len(qrels) > 0 {
		// Every judged query counts, one the run has no result for as 0
		// (trec_eval -c): leaving it out would flatter a run that finds
		// nothing for the hardest queries.
		rep, err := metrics.Evaluate(metrics.Qrels(qrels), run, []string{"ndcg_cut_10", "recall_100"}, metrics.Options{Complete: true})
		if err != nil {
			return err
		}
		empty := 0
		for q := range rep.PerQuery {
			if len(run[q]) == 0 {
				empty++
			}
		}
		fmt.Fprintf(stderr, "%s %s: nDCG@10 %.4f  recall@100 %.4f over %d judged queries, %d of them without results (scored 0, as trec_eval -c does)\n",
			*method, *split, rep.Mean["ndcg_cut_10"], rep.Mean["recall_100"], rep.NumQueries, empty)
		summary["ndcg_cut_10"], summary["recall_100"], summary["judged_queries"] = rep.Mean["ndcg_cut_10"], rep.Mean["recall_100"], rep.NumQueries
		summary["queries_without_results"], summary["convention"] = empty, "trec_eval -c: every judged query counts, 0 without results"
	}
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		return e.Encode(summary)
	}
	return nil
}

// ivfFlags are search's and serve's --nprobe and --rescore: how an IVF
// index is searched.
type ivfFlags struct {
	nprobe, rescore int
}

func addIVFFlags(fs *flag.FlagSet) *ivfFlags {
	var f ivfFlags
	fs.IntVar(&f.nprobe, "nprobe", 0, "IVF --index: lists probed per query (0: an eighth of them)")
	fs.IntVar(&f.rescore, "rescore", 0, "IVF-SQ8 --index built with --keep-vectors: re-score this many best candidates exactly (0: off)")
	return &f
}

func (f *ivfFlags) set() bool { return f != nil && (f.nprobe != 0 || f.rescore != 0) }

// openIndex loads the index file at path, exact or IVF, checking that it
// holds d's documents in corpus order with enc's vectors, or, with no
// path, encodes the corpus into a new exact index. An IVF index is set to
// search as ivf says; ivf's flags with an exact index are refused.
func openIndex(path string, enc *retrieval.Encoder, d *beir.Dataset, ivf *ivfFlags, stderr io.Writer) (index.Index, error) {
	corpus := retrieval.NewCorpusData(d)
	if path == "" {
		if ivf.set() {
			return nil, fmt.Errorf("--nprobe and --rescore search an IVF index: give one with --index (rrra index --type ivf)")
		}
		f, err := retrieval.IndexCorpus(enc, corpus, docProgress(stderr, len(corpus.Docs)))
		if err != nil {
			return nil, err // not a nil *Flat in a non-nil Index
		}
		return f, nil
	}
	ix, err := index.Open(path, index.LoadOptions{})
	if err != nil {
		return nil, err
	}
	x, isIVF := ix.(*index.IVF)
	switch {
	case isIVF && ivf != nil:
		err = x.SetSearchOptions(index.SearchOptions{NProbe: ivf.nprobe, Rescore: ivf.rescore})
		if err != nil {
			err = fmt.Errorf("--index %s: %w", path, err)
		}
	case !isIVF && ivf.set():
		err = fmt.Errorf("--index %s is an exact index: --nprobe and --rescore search an IVF index (rrra index --type ivf)", path)
	}
	if err == nil {
		err = retrieval.CheckIndex(ix, enc, corpus, path)
	}
	if err != nil {
		ix.Close()
		return nil, err
	}
	if isIVF {
		o := x.SearchOptions()
		nprobe := o.NProbe
		if nprobe == 0 {
			nprobe = x.NProbe()
		}
		fmt.Fprintf(stderr, "index: IVF, %d lists, probing %d per query", x.Quantizer().NList(), min(nprobe, x.Quantizer().NList()))
		if o.Rescore > 0 {
			fmt.Fprintf(stderr, ", re-scoring the best %d exactly", o.Rescore)
		}
		fmt.Fprintln(stderr)
	}
	return ix, nil
}

const indexSynopsis = `index [--data DIR] (--model DIR | --vectors FILE.npy) --out FILE [--npy FILE.npy] [--shard I/N]
       [--type flat|ivf [--nlist N] [--sq8 [--keep-vectors]] [--iterations N] [--sample N] [--seed N]]
index --stat FILE
index train|add|merge|calibrate ...   (sharded builds: rrra index train -h)

Encodes a BEIR folder's corpus with a bi-encoder's document tower (or takes
the vectors of a float32 .npy of shape [documents, dim] in corpus order,
made elsewhere) and writes an inner-product index (versioned, checksummed,
memory-mapped on load) for rrra search --index and rrra serve --index:
exact (--type flat, the default), or an inverted file (--type ivf) whose
searches score only the lists nearest each query (rrra search --nprobe).
An IVF index clusters the vectors into --nlist lists (0: 4·√documents) by
spherical k-means (--iterations rounds on a seeded sample of at most
--sample vectors, 0: 256 per list); --sq8 stores one byte per dimension
instead of four, and --keep-vectors keeps the float32 vectors too, so that
search --rescore can re-score the best candidates exactly. An IVF index
built with --model is calibrated: the fewest lists (of 1, 2, 4, …) whose
results on up to 1,000 of the collection's queries agree with a search
of every list to recall@10 --calibrate become search's default --nprobe.
--npy also
writes the vectors as a .npy, for numpy or FAISS. --stat prints what an
index file holds and how it was built.

--shard I/N indexes only the I-th (from 0) of N contiguous slices of the
corpus (with --vectors, the .npy holds that slice's rows, as rrra encode
--shard writes them); rrra index merge joins every shard's file into the
index of the whole corpus, byte for byte the unsharded one. A sharded IVF
build trains one quantizer first (rrra index train), then adds each shard
with it (rrra index add --shard), then merges.

Examples:

	rrra index --data cranfield --model rrra-demo/model --out cran.idx --npy cran.npy
	rrra index --data scifact --model rrra-demo/model --out sf.ivf --type ivf --nlist 64
	rrra index --stat sf.ivf
	rrra index --data scifact --model rrra-demo/model --shard 0/2 --out sf-0.idx
	rrra index merge --out sf.idx --in sf-0.idx --in sf-1.idx`

func runIndex(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "train":
			return runIndexTrain(args[1:], stderr)
		case "add":
			return runIndexAdd(args[1:], stderr)
		case "merge":
			return runIndexMerge(args[1:], stderr)
		case "calibrate":
			return runIndexCalibrate(args[1:], stderr)
		}
	}
	fs := newFlags("index", indexSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory")
	vectors := fs.String("vectors", "", "float32 .npy of document vectors in corpus order, instead of --model")
	npyOut := fs.String("npy", "", "also write the vectors to this .npy")
	out := fs.String("out", "", "index file to write")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	typ := fs.String("type", "flat", "flat (exact) or ivf (inverted file, approximate)")
	nlist := fs.Int("nlist", 0, "ivf: lists (0: 4·√documents)")
	sq8 := fs.Bool("sq8", false, "ivf: store one byte per dimension (scalar quantization)")
	keep := fs.Bool("keep-vectors", false, "ivf --sq8: keep the float32 vectors too, for search --rescore")
	iters := fs.Int("iterations", 0, "ivf: k-means rounds (0: 20)")
	sample := fs.Int("sample", 0, "ivf: most vectors k-means trains on (0: 256 per list)")
	seed := fs.Uint64("seed", 1, "ivf: seed of the k-means sample and initial centroids")
	stat := fs.String("stat", "", "print what this index file holds, and do nothing else")
	shardFlag := fs.String("shard", "", "I/N: index only the I-th (from 0) of N contiguous slices of the corpus (rrra index merge joins them)")
	calibrate := fs.Float64("calibrate", defaultCalibrate, "ivf: record the fewest lists whose recall@10 against a search of every list reaches this on the collection's queries, as search's default --nprobe (0: don't; then an eighth of the lists)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *stat != "" {
		others := 0
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "stat" && f.Name != "quiet" {
				others++
			}
		})
		if others > 0 {
			fmt.Fprintln(stderr, "rrra index: --stat FILE takes no other flag")
			return errUsage
		}
		return statIndex(*stat, stdout)
	}
	if err := checkCommon("index", 0, *dLen, *threads, stderr); err != nil {
		return err
	}
	shard, err := parseShardFlag("index", *shardFlag, stderr)
	if err != nil {
		return err
	}
	if shard != retrieval.Whole && *typ == "ivf" {
		fmt.Fprintln(stderr, "rrra index: --shard with --type ivf: the shards of an IVF index need one quantizer; run rrra index train, then rrra index add --shard for each")
		return errUsage
	}
	var ivfCfg *index.IVFConfig
	switch *typ {
	case "flat":
		for _, name := range []string{"nlist", "sq8", "keep-vectors", "iterations", "sample", "seed", "calibrate"} {
			if isSet(fs, name) {
				fmt.Fprintf(stderr, "rrra index: --%s builds an IVF index; add --type ivf\n", name)
				return errUsage
			}
		}
	case "ivf":
		if err := checkIVFFlags("index", *nlist, *sample, *sq8, *keep, stderr); err != nil {
			return err
		}
		ivfCfg = &index.IVFConfig{NList: *nlist, Iterations: *iters, Sample: *sample, Seed: *seed, SQ8: *sq8}
	default:
		fmt.Fprintf(stderr, "rrra index: --type %q: want flat or ivf\n", *typ)
		return errUsage
	}
	if err := checkPrecision("index", *precision, stderr); err != nil {
		return err
	}
	if *precision != "" && *vectors != "" {
		fmt.Fprintln(stderr, "rrra index: --precision sets how --model encodes; it means nothing with --vectors")
		return errUsage
	}
	if *df.data == "" || (*modelDir == "") == (*vectors == "") || *out == "" {
		fmt.Fprintln(stderr, "rrra index: --data, --out and one of --model or --vectors are required")
		return errUsage
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	ix, enc, d, err := buildFlat(df, *modelDir, *vectors, *dLen, *precision, shard, stderr)
	if err != nil {
		return err
	}
	var w io.WriterTo = ix
	var ivf *index.IVF
	if ivfCfg != nil {
		if ivfCfg.NList == 0 {
			ivfCfg.NList = index.DefaultNList(ix.Len())
		}
		if ix.Len() < ivfCfg.NList {
			return fmt.Errorf("rrra index: --nlist %d for %d documents: k-means needs a document per list", ivfCfg.NList, ix.Len())
		}
		began := time.Now()
		if ivf, err = index.BuildIVF(ix, *ivfCfg, *keep); err != nil {
			return err
		}
		q := ivf.Quantizer()
		fmt.Fprintf(stderr, "ivf: %d lists by k-means on %d vectors (%d rounds) in %.1fs\n",
			q.NList(), q.TrainedOn(), q.Config().Iterations, time.Since(began).Seconds())
		if *calibrate > 0 {
			if *vectors != "" {
				fmt.Fprintln(stderr, "ivf: not calibrated: --vectors gives no model to encode the collection's queries (rrra index calibrate does it later); search probes an eighth of the lists by default")
			} else if err := calibrateIVF(enc, d, ivf, *calibrate, stderr); err != nil {
				return err
			}
		}
		w = ivf
	}
	// The .npy and the index change together or not at all.
	var g atomicfile.Group
	defer g.Abort()
	if *npyOut != "" {
		t, err := tensor.FromData(tensor.S(ix.Len(), ix.Dim()), ix.Vectors())
		if err != nil {
			return err
		}
		if err := g.Add(*npyOut, func(w io.Writer) error { return tensor.EncodeNpy(w, t) }); err != nil {
			return err
		}
	}
	if err := g.Add(*out, func(f io.Writer) error { _, err := w.WriteTo(f); return err }); err != nil {
		return err
	}
	if err := g.Commit(); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	if ivf != nil {
		fmt.Fprintf(stderr, "wrote %s: IVF index of %d × %d (%s), %d bytes\n", *out, ivf.Len(), ivf.Dim(), ivfKind(ivf), st.Size())
		return nil
	}
	if shard != retrieval.Whole {
		fmt.Fprintf(stderr, "wrote %s: shard %v, %d × %d float32, %d bytes (rrra index merge joins the shards)\n", *out, shard, ix.Len(), ix.Dim(), st.Size())
		return nil
	}
	fmt.Fprintf(stderr, "wrote %s: %d × %d float32, %d bytes\n", *out, ix.Len(), ix.Dim(), st.Size())
	return nil
}

// ivfKind names how an IVF index stores its vectors.
func ivfKind(x *index.IVF) string {
	switch {
	case !x.SQ8():
		return "IVF-Flat, float32 vectors"
	case x.KeepsVectors():
		return "IVF-SQ8, byte codes and float32 vectors"
	}
	return "IVF-SQ8, byte codes"
}

// statIndex prints what the index file at path holds.
func statIndex(path string, stdout io.Writer) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	ix, err := index.Open(path, index.LoadOptions{})
	if err != nil {
		return err
	}
	defer ix.Close()
	fmt.Fprintf(stdout, "file:        %s, %d bytes\n", path, st.Size())
	x, isIVF := ix.(*index.IVF)
	if !isIVF {
		fmt.Fprintf(stdout, "type:        flat (exact), float32 vectors\n")
	} else {
		fmt.Fprintf(stdout, "type:        ivf (%s)\n", ivfKind(x))
	}
	fmt.Fprintf(stdout, "documents:   %d\ndimension:   %d\n", ix.Len(), ix.Dim())
	if isIVF {
		q := x.Quantizer()
		c := q.Config()
		sizes := x.ListSizes()
		slices.Sort(sizes)
		empty := 0
		for _, s := range sizes {
			if s == 0 {
				empty++
			}
		}
		fmt.Fprintf(stdout, "lists:       %d (documents per list: min %d, median %d, max %d; %d empty)\n",
			q.NList(), sizes[0], sizes[len(sizes)/2], sizes[len(sizes)-1], empty)
		fmt.Fprintf(stdout, "k-means:     %d rounds on %d vectors (sample cap %d), seed %d\n", c.Iterations, q.TrainedOn(), c.Sample, c.Seed)
		fmt.Fprintf(stdout, "vectors:     %d bytes in memory when searched (codes, ranges, vectors kept, list entries)\n", x.VectorBytes())
		if note := x.Meta()[index.MetaNProbeNote]; note != "" {
			fmt.Fprintf(stdout, "nprobe:      %d by default (search --nprobe), calibrated: %s\n", x.NProbe(), note)
		} else {
			fmt.Fprintf(stdout, "nprobe:      %d by default (search --nprobe), an eighth of the lists: not calibrated\n", x.NProbe())
		}
	}
	meta := ix.Meta()
	keys := slices.Sorted(maps.Keys(meta))
	for _, k := range keys {
		fmt.Fprintf(stdout, "meta %-7s %s\n", k+":", meta[k])
	}
	return nil
}

// adHocQueries returns the queries of --query (ids q1, q2, ...) or
// --topics, and where they come from ("" when neither is given: the
// split's queries are searched).
func adHocQueries(fs *flag.FlagSet, adHoc []string, topics string, stderr io.Writer) (qids, texts []string, from string, err error) {
	switch {
	case len(adHoc) > 0 && topics != "":
		fmt.Fprintln(stderr, "rrra search: --query and --topics exclude each other")
		return nil, nil, "", errUsage
	case (len(adHoc) > 0 || topics != "") && isSet(fs, "split"):
		fmt.Fprintln(stderr, "rrra search: --split chooses the collection's queries; --query and --topics give others: use one")
		return nil, nil, "", errUsage
	case len(adHoc) > 0:
		for i, q := range adHoc {
			if strings.TrimSpace(q) == "" {
				fmt.Fprintf(stderr, "rrra search: --query number %d is empty\n", i+1)
				return nil, nil, "", errUsage
			}
			qids, texts = append(qids, fmt.Sprintf("q%d", i+1)), append(texts, q)
		}
		return qids, texts, "--query", nil
	case topics != "":
		qids, texts, err = readTopics(topics)
		return qids, texts, topics, err
	}
	return nil, nil, "", nil
}

// stringsFlag is a repeatable string flag: each use adds a value.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, " | ") }

// Set adds v.
func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// isSet reports whether the flag called name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// readTopics reads ad-hoc queries from path (beir.ReadTopics).
func readTopics(path string) (qids, texts []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	q, err := beir.ReadTopics(b, path)
	if err != nil {
		return nil, nil, err
	}
	qids, texts = retrieval.QueryTexts(q)
	return qids, texts, nil
}

// checkRunIDs refuses, before any work, ids a TREC run cannot hold (white
// space would split them into other fields): the corpus's document ids
// and the query ids, which come from the folder's queries.jsonl or from
// queriesFrom (--query, --topics).
func checkRunIDs(d *beir.Dataset, qids []string, queriesFrom, data string) error {
	for i := range d.Corpus.Docs {
		if id := d.Corpus.Docs[i].ID; !metrics.IsRunID(id) {
			return fmt.Errorf("%s: document %d has the id %q, whose white space a TREC run cannot hold", filepath.Join(data, "corpus.jsonl"), i+1, id)
		}
	}
	src := queriesFrom
	if src == "" {
		src = filepath.Join(data, "queries.jsonl")
	}
	for i, id := range qids {
		if !metrics.IsRunID(id) {
			return fmt.Errorf("%s: query %d has the id %q, whose white space a TREC run cannot hold", src, i+1, id)
		}
	}
	return nil
}

// writeRun writes run as a TREC run file with tag to out (atomically,
// saying so on stderr), or to stdout when out is "-".
func writeRun(run metrics.Run, tag, out string, stdout, stderr io.Writer) error {
	var buf bytes.Buffer
	if err := metrics.WriteRun(&buf, run, tag); err != nil {
		return err
	}
	if out == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := atomicfile.Write(out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", out)
	return nil
}

// indexSearch runs search's dense retrieval over an index (--index, or
// the corpus encoded now): exact or IVF, reranked by rr or fused with
// BM25 by fusion when they are not nil, adding the run to runs.
func indexSearch(indexPath string, enc *retrieval.Encoder, d *beir.Dataset, ivf *ivfFlags, rr *adapter.Reranker, fusion *adapter.Fusion, bm *bm25.Index,
	qids, texts []string, k int, runs *[]metrics.Run, stderr io.Writer) error {
	ix, err := openIndex(indexPath, enc, d, ivf, stderr)
	if err != nil {
		return err
	}
	defer ix.Close()
	began := time.Now()
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return err
	}
	if fusion != nil {
		hr := &adapter.HybridRanker{Index: ix, BM25: bm, K: max(k, 100), Scale: enc.LogitScale(), Fusion: fusion}
		run, err := hr.Search(qids, texts, qv, k)
		if err != nil {
			return err
		}
		*runs = append(*runs, run)
	} else if rr != nil {
		run, err := rr.Search(ix, qids, texts, qv)
		if err != nil {
			return err
		}
		*runs = append(*runs, run)
		c := rr.Config()
		fmt.Fprintf(stderr, "reranked the top %d with λ %g, τ_b %g (%d adapters)\n", c.K, c.Lambda, float32(c.TauB), len(rr.Folds()))
	} else {
		*runs = append(*runs, retrieval.DenseSearch(ix, qids, qv, k))
	}
	fmt.Fprintf(stderr, "dense: %d queries encoded and searched in %.1fs\n", len(qids), time.Since(began).Seconds())
	return nil
}
