package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/tensor"
)

// parseShardFlag parses a --shard value ("": the whole corpus).
func parseShardFlag(cmd, v string, stderr io.Writer) (retrieval.Shard, error) {
	if v == "" {
		return retrieval.Whole, nil
	}
	s, err := retrieval.ParseShard(v)
	if err != nil {
		fmt.Fprintf(stderr, "rrra %s: --%v\n", cmd, err)
		return s, errUsage
	}
	return s, nil
}

// buildFlat loads the corpus of df and returns the exact index of shard s
// of it: encoded with the model in modelDir, or read from the .npy
// vectors (the shard's rows); with the dataset, and the encoder (nil with
// vectors).
func buildFlat(df *dataFlags, modelDir, vectors string, dLen int, precision string, s retrieval.Shard, stderr io.Writer) (*index.Flat, *retrieval.Encoder, *beir.Dataset, error) {
	d, _, err := df.load(stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	corpus := retrieval.NewCorpusData(d)
	if vectors != "" {
		t, err := tensor.ReadNpyFile(vectors)
		if err != nil {
			return nil, nil, nil, err
		}
		var f *index.Flat
		if s == retrieval.Whole {
			f, err = retrieval.IndexVectors(corpus, t, vectors)
		} else {
			f, err = retrieval.IndexVectorsShard(corpus, t, vectors, s)
		}
		return f, nil, d, err
	}
	enc, err := loadEncoder(modelDir, 32, dLen, precision, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	lo, hi := s.Range(len(corpus.Docs))
	if err := df.mem.Dense(enc, hi-lo, true); err != nil {
		return nil, nil, nil, err
	}
	f, err := retrieval.IndexCorpusShard(enc, corpus, s, docProgress(stderr, hi-lo))
	return f, enc, d, err
}

// checkIVFFlags refuses IVF build flags that are valid alone but not
// together (rrra index --type ivf and rrra index train).
func checkIVFFlags(cmd string, nlist, sample int, sq8, keep bool, stderr io.Writer) error {
	if keep && !sq8 {
		fmt.Fprintf(stderr, "rrra %s: --keep-vectors goes with --sq8 (an IVF-Flat index stores float32 vectors anyway)\n", cmd)
		return errUsage
	}
	if sample != 0 && nlist != 0 && sample < nlist {
		fmt.Fprintf(stderr, "rrra %s: --sample %d is below --nlist %d: k-means needs a vector per list\n", cmd, sample, nlist)
		return errUsage
	}
	return nil
}

// defaultCalibrate is the recall@10 an IVF index's default nprobe is
// calibrated to reach (rrra index --calibrate).
const defaultCalibrate = 0.99

// calibrationQueries is the most queries a calibration encodes.
const calibrationQueries = 1000

// calibrateIVF calibrates x's default nprobe on d's queries (up to
// calibrationQueries, spread over its queries file) to recall@10 target,
// reporting it; a collection without queries leaves x as it is.
func calibrateIVF(enc *retrieval.Encoder, d *beir.Dataset, x *index.IVF, target float64, stderr io.Writer) error {
	texts := retrieval.CalibrationQueries(d, calibrationQueries)
	if len(texts) == 0 {
		fmt.Fprintln(stderr, "ivf: not calibrated: the collection has no queries; search probes an eighth of the lists by default")
		return nil
	}
	np, rec, err := retrieval.CalibrateIVF(enc, x, texts, target)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ivf: calibrated: search probes %d of %d lists by default (recall@10 %.4f against every list on %d of the collection's queries; target %g)\n",
		np, x.Quantizer().NList(), rec, len(texts), target)
	return nil
}

// writeIndex writes ix to path atomically and reports its size.
func writeIndex(path string, ix io.WriterTo, what string, stderr io.Writer) error {
	if err := atomicfile.WriteFunc(path, func(w io.Writer) error { _, err := ix.WriteTo(w); return err }); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %s, %d bytes\n", path, what, st.Size())
	return nil
}

const indexTrainSynopsis = `index train [--data DIR] (--model DIR | --vectors FILE.npy) --out QUANT.ivf
       [--nlist N] [--sq8 [--keep-vectors]] [--iterations N] [--sample N] [--seed N]

Trains the one quantizer of a sharded IVF build: k-means on a seeded
sample of the corpus (encoding only the sampled documents with --model)
and, for --sq8, the byte codes' ranges. It writes an IVF index with no
documents; rrra index add --quantizer adds each shard to it, and rrra
index merge joins the shards. The quantizer is the one rrra index --type
ivf trains with the same flags, so the merged index is byte for byte
that index. The flags mean what they mean for rrra index --type ivf;
--nlist 0 is 4·√documents of the whole corpus.

Examples:

	rrra index train --data scifact --model rrra-demo/model --nlist 64 --out q.ivf
	rrra index add --data scifact --model rrra-demo/model --quantizer q.ivf --shard 0/2 --out sf-0.ivf
	rrra index add --data scifact --model rrra-demo/model --quantizer q.ivf --shard 1/2 --out sf-1.ivf
	rrra index merge --out sf.ivf --in sf-0.ivf --in sf-1.ivf`

func runIndexTrain(args []string, stderr io.Writer) error {
	fs := newFlags("index train", indexTrainSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory")
	vectors := fs.String("vectors", "", "float32 .npy of the whole corpus's vectors in corpus order, instead of --model")
	out := fs.String("out", "", "quantizer file to write (an IVF index with no documents)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	nlist := fs.Int("nlist", 0, "lists (0: 4·√documents)")
	sq8 := fs.Bool("sq8", false, "store one byte per dimension (scalar quantization)")
	keep := fs.Bool("keep-vectors", false, "--sq8: keep the float32 vectors too, for search --rescore")
	iters := fs.Int("iterations", 0, "k-means rounds (0: 20)")
	sample := fs.Int("sample", 0, "most documents k-means trains on (0: 256 per list)")
	seed := fs.Uint64("seed", 1, "seed of the k-means sample and initial centroids")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("index train", 0, *dLen, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("index train", *precision, stderr); err != nil {
		return err
	}
	if *df.data == "" || (*modelDir == "") == (*vectors == "") || *out == "" {
		fmt.Fprintln(stderr, "rrra index train: --data, --out and one of --model or --vectors are required")
		return errUsage
	}
	if *precision != "" && *vectors != "" {
		fmt.Fprintln(stderr, "rrra index train: --precision sets how --model encodes; it means nothing with --vectors")
		return errUsage
	}
	if err := checkIVFFlags("index train", *nlist, *sample, *sq8, *keep, stderr); err != nil {
		return err
	}
	cfg := index.IVFConfig{NList: *nlist, Iterations: *iters, Sample: *sample, Seed: *seed, SQ8: *sq8}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	corpus := retrieval.NewCorpusData(d)
	if cfg.NList == 0 {
		cfg.NList = index.DefaultNList(len(corpus.Docs))
	}
	if len(corpus.Docs) < cfg.NList {
		return fmt.Errorf("rrra index train: --nlist %d for %d documents: k-means needs a document per list", cfg.NList, len(corpus.Docs))
	}
	began := time.Now()
	var q *index.IVF
	if *vectors != "" {
		t, err := tensor.ReadNpyFile(*vectors)
		if err != nil {
			return err
		}
		q, err = retrieval.TrainIVFVectors(corpus, t, *vectors, cfg, *keep)
		if err != nil {
			return err
		}
	} else {
		enc, err := loadEncoder(*modelDir, 32, *dLen, *precision, stderr)
		if err != nil {
			return err
		}
		rows, err := index.TrainingRows(len(corpus.Docs), cfg)
		if err != nil {
			return err
		}
		if err := df.mem.Dense(enc, len(rows), true); err != nil {
			return err
		}
		if q, err = retrieval.TrainIVF(enc, corpus, cfg, *keep, docProgress(stderr, len(rows))); err != nil {
			return err
		}
	}
	qz := q.Quantizer()
	fmt.Fprintf(stderr, "ivf: %d lists by k-means on %d of %d documents (%d rounds) in %.1fs\n",
		qz.NList(), qz.TrainedOn(), len(corpus.Docs), qz.Config().Iterations, time.Since(began).Seconds())
	return writeIndex(*out, q, fmt.Sprintf("quantizer (%s), no documents", ivfKind(q)), stderr)
}

const indexAddSynopsis = `index add [--data DIR] (--model DIR | --vectors FILE.npy) --quantizer QUANT.ivf --out FILE [--shard I/N]

Builds the IVF index of the corpus, or with --shard I/N of its I-th (from
0) of N contiguous slices, with the quantizer rrra index train wrote, so
that every shard's file can be merged (rrra index merge). The model (or
the vectors' corpus) must be the quantizer's: another is refused.

Examples:

	rrra index add --data scifact --model rrra-demo/model --quantizer q.ivf --shard 0/2 --out sf-0.ivf`

func runIndexAdd(args []string, stderr io.Writer) error {
	fs := newFlags("index add", indexAddSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory")
	vectors := fs.String("vectors", "", "float32 .npy of the documents' vectors in corpus order (the shard's rows with --shard), instead of --model")
	quantPath := fs.String("quantizer", "", "quantizer file from rrra index train")
	out := fs.String("out", "", "IVF index file to write")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	shardFlag := fs.String("shard", "", "I/N: index only the I-th (from 0) of N contiguous slices of the corpus")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("index add", 0, *dLen, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("index add", *precision, stderr); err != nil {
		return err
	}
	shard, err := parseShardFlag("index add", *shardFlag, stderr)
	if err != nil {
		return err
	}
	if *df.data == "" || (*modelDir == "") == (*vectors == "") || *out == "" || *quantPath == "" {
		fmt.Fprintln(stderr, "rrra index add: --data, --quantizer, --out and one of --model or --vectors are required")
		return errUsage
	}
	if *precision != "" && *vectors != "" {
		fmt.Fprintln(stderr, "rrra index add: --precision sets how --model encodes; it means nothing with --vectors")
		return errUsage
	}
	q, err := index.Open(*quantPath, index.LoadOptions{})
	if err != nil {
		return err
	}
	defer q.Close()
	quant, ok := q.(*index.IVF)
	if !ok {
		return fmt.Errorf("rrra index add: %s is an exact index, not a quantizer from rrra index train", *quantPath)
	}
	if quant.Len() != 0 {
		return fmt.Errorf("rrra index add: %s holds %d documents: want a quantizer from rrra index train, which holds none", *quantPath, quant.Len())
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	f, _, _, err := buildFlat(df, *modelDir, *vectors, *dLen, *precision, shard, stderr)
	if err != nil {
		return err
	}
	name := "the corpus's vectors"
	if shard != retrieval.Whole {
		name = "shard " + shard.String()
	}
	x, err := retrieval.AddShard(quant, f, *quantPath, name)
	if err != nil {
		return err
	}
	return writeIndex(*out, x, fmt.Sprintf("IVF index of %d × %d (%s), %s", x.Len(), x.Dim(), ivfKind(x), name), stderr)
}

const indexMergeSynopsis = `index merge --out FILE --in SHARD-FILE [--in SHARD-FILE ...]

Joins the index files of every shard of one build (rrra index --shard, or
rrra index add --shard with one quantizer), given in any order, into the
index of the whole corpus: byte for byte the file the unsharded build
writes, so searching it gives exactly the unsharded results. It refuses a
shard missing or given twice, shards of different builds, models or
corpora, and a file that is not a shard's.

Examples:

	rrra index merge --out sf.idx --in sf-0.idx --in sf-1.idx --in sf-2.idx`

func runIndexMerge(args []string, stderr io.Writer) error {
	fs := newFlags("index merge", indexMergeSynopsis, stderr)
	out := fs.String("out", "", "index file to write")
	var paths stringsFlag
	fs.Var(&paths, "in", "a shard's index file (repeated: one --in per shard, in any order)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || len(paths) == 0 {
		fmt.Fprintln(stderr, "rrra index merge: --out and at least one --in shard file are required")
		return errUsage
	}
	var parts []index.Index
	defer func() {
		for _, p := range parts {
			p.Close()
		}
	}()
	for _, p := range paths {
		x, err := index.Open(p, index.LoadOptions{})
		if err != nil {
			return err
		}
		parts = append(parts, x)
	}
	m, err := retrieval.MergeShards(parts, paths)
	if err != nil {
		return fmt.Errorf("rrra index %w", err)
	}
	what := fmt.Sprintf("%d × %d float32 from %d shards", m.Len(), m.Dim(), len(paths))
	if x, ok := m.(*index.IVF); ok {
		what = fmt.Sprintf("IVF index of %d × %d (%s) from %d shards", m.Len(), m.Dim(), ivfKind(x), len(paths))
	}
	return writeIndex(*out, m.(io.WriterTo), what, stderr)
}

const indexCalibrateSynopsis = `index calibrate --index FILE [--data DIR] --model DIR [--calibrate R] [--out FILE]

Calibrates an IVF index's default nprobe, as rrra index --type ivf does
when it builds one with --model: the fewest lists (of 1, 2, 4, …) whose
results on up to 1,000 of the collection's queries, encoded by the
model's query tower, agree with a search of every list to recall@10 R.
For an index merged from shards, or built from --vectors. It writes the
index with the calibration recorded to --out (default: --index itself,
replaced whole). Calibrated with the flags rrra index used, a merged
index is byte for byte the unsharded one.

Examples:

	rrra index calibrate --index sf.ivf --data scifact --model rrra-demo/model`

func runIndexCalibrate(args []string, stderr io.Writer) error {
	fs := newFlags("index calibrate", indexCalibrateSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory (its query tower encodes the queries)")
	path := fs.String("index", "", "IVF index file")
	out := fs.String("out", "", "index file to write (default: --index)")
	target := fs.Float64("calibrate", defaultCalibrate, "recall@10 against a search of every list to reach")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("index calibrate", *qLen, 0, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("index calibrate", *precision, stderr); err != nil {
		return err
	}
	if *path == "" || *modelDir == "" || *df.data == "" {
		fmt.Fprintln(stderr, "rrra index calibrate: --index, --data and --model are required")
		return errUsage
	}
	if *out == "" {
		*out = *path
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	ix, err := index.Open(*path, index.LoadOptions{})
	if err != nil {
		return err
	}
	defer ix.Close()
	x, ok := ix.(*index.IVF)
	if !ok {
		return fmt.Errorf("rrra index calibrate: %s is an exact index: only an IVF index has an nprobe", *path)
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	enc, err := loadEncoder(*modelDir, *qLen, 0, *precision, stderr)
	if err != nil {
		return err
	}
	if err := retrieval.CheckIndex(x, enc, retrieval.NewCorpusData(d), *path); err != nil {
		return err
	}
	if len(retrieval.CalibrationQueries(d, 1)) == 0 {
		return fmt.Errorf("rrra index calibrate: %s has no queries to calibrate on", *df.data)
	}
	if err := calibrateIVF(enc, d, x, *target, stderr); err != nil {
		return err
	}
	return writeIndex(*out, x, fmt.Sprintf("IVF index of %d × %d (%s), calibrated", x.Len(), x.Dim(), ivfKind(x)), stderr)
}
