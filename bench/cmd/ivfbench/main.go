// Command ivfbench measures rrra's IVF index against exact search, the
// Go half of bench/ivf.sh (bench/ivf_faiss.py is the FAISS half, with the
// same subcommand "run" and the same output).
//
//	ivfbench gen   -n N -d D -clusters C -spread S -seed S -nq Q -base B.npy -queries Q.npy
//	ivfbench embed -data cranfield|scifact|DIR -model M -split test -base B.npy -queries Q.npy
//	ivfbench truth -base B.npy -queries Q.npy -k K -out T.npy
//	ivfbench run   -base B.npy -queries Q.npy -truth T.npy -kind flat|sq8|sq8-rescore -nlist L
//	               -iterations I -nprobe 1,2,4,... -threads T [-nq1 N] [-nq64 N]
//	ivfbench report -in results.jsonl [-png curve.png]
//
// gen draws N document and Q query vectors from a seeded clustered
// distribution: C centres uniform on the unit sphere, each vector a
// centre (chosen uniformly) plus Gaussian noise of standard deviation
// S/√D per coordinate, normalised to unit length. truth writes the exact
// top K of every query (int32 document indices, rrra's Flat index). run
// builds an IVF index (timing the k-means training and the adding, and
// reading the process's peak resident memory after it), then for each
// nprobe times single queries (the first -nq1 queries, one call each) and
// blocks of 64 (the first -nq64), and computes recall@10 of the blocks'
// results against the truth; it prints one JSON line. report turns the
// JSON lines of several runs into markdown tables of medians over rounds
// and a recall–throughput plot.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/tensor"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ivfbench gen|embed|truth|run|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "embed":
		err = embed(os.Args[2:])
	case "truth":
		err = truth(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ivfbench:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 1000000, "documents")
	d := fs.Int("d", 384, "dimension")
	c := fs.Int("clusters", 1000, "cluster centres")
	spread := fs.Float64("spread", 1, "noise: standard deviation spread/√d per coordinate")
	seed := fs.Uint64("seed", 1, "seed")
	nq := fs.Int("nq", 1024, "queries")
	base := fs.String("base", "", "documents .npy to write")
	queries := fs.String("queries", "", "queries .npy to write")
	fs.Parse(args)
	if *n < 1 || *d < 1 || *c < 1 || *nq < 1 || !(*spread >= 0) || *base == "" || *queries == "" {
		return fmt.Errorf("gen: -n, -d, -clusters, -nq ≥ 1, -spread ≥ 0, -base and -queries required")
	}
	r := rand.New(rand.NewPCG(*seed, 0x67656e)) // "gen"
	centres := make([]float32, *c**d)
	for i := range centres {
		centres[i] = float32(r.NormFloat64())
	}
	for j := range *c {
		normalize(centres[j**d : (j+1)**d])
	}
	draw := func(m int) *tensor.Tensor {
		t := tensor.New(tensor.S(m, *d))
		sd := *spread / math.Sqrt(float64(*d))
		for i := range m {
			row := t.Data[i**d : (i+1)**d]
			ctr := centres[r.IntN(*c)**d:]
			for k := range row {
				row[k] = ctr[k] + float32(sd*r.NormFloat64())
			}
			normalize(row)
		}
		return t
	}
	if err := tensor.WriteNpyFile(*base, draw(*n)); err != nil {
		return err
	}
	return tensor.WriteNpyFile(*queries, draw(*nq))
}

func normalize(x []float32) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range x {
		x[i] *= inv
	}
}

func embed(args []string) error {
	fs := flag.NewFlagSet("embed", flag.ExitOnError)
	data := fs.String("data", "scifact", "BEIR folder or embedded collection")
	model := fs.String("model", "", "bi-encoder directory")
	split := fs.String("split", "test", "query split")
	base := fs.String("base", "", "documents .npy to write")
	queries := fs.String("queries", "", "queries .npy to write")
	fs.Parse(args)
	if *model == "" || *base == "" || *queries == "" {
		return fmt.Errorf("embed: -model, -base and -queries required")
	}
	fsys, name, err := beir.Open(*data)
	if err != nil {
		return err
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		return err
	}
	qrels, _, err := d.Qrels(*split)
	if err != nil {
		return err
	}
	_, texts := retrieval.QueryTexts(d.SplitQueries(qrels))
	enc, err := retrieval.LoadEncoder(*model, retrieval.EncoderOptions{})
	if err != nil {
		return err
	}
	ix, err := retrieval.IndexCorpus(enc, retrieval.NewCorpusData(d), nil)
	if err != nil {
		return err
	}
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return err
	}
	bt, err := tensor.FromData(tensor.S(ix.Len(), ix.Dim()), ix.Vectors())
	if err != nil {
		return err
	}
	qt, err := tensor.FromData(tensor.S(len(texts), enc.Dim()), qv)
	if err != nil {
		return err
	}
	if err := tensor.WriteNpyFile(*base, bt); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "embed: %s: %d documents and %d %s queries of dimension %d\n", *data, ix.Len(), len(texts), *split, ix.Dim())
	return tensor.WriteNpyFile(*queries, qt)
}

func readMatrix(path string) (*tensor.Tensor, int, int, error) {
	t, err := tensor.ReadNpyFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if t.Shape.Rank() != 2 {
		return nil, 0, 0, fmt.Errorf("%s: want a matrix, got shape %v", path, t.Shape)
	}
	return t, t.Shape.Dim(0), t.Shape.Dim(1), nil
}

func truth(args []string) error {
	fs := flag.NewFlagSet("truth", flag.ExitOnError)
	base := fs.String("base", "", "documents .npy")
	queries := fs.String("queries", "", "queries .npy")
	k := fs.Int("k", 100, "neighbours per query")
	out := fs.String("out", "", "truth .npy to write (int32 indices as float32, rows of k)")
	fs.Parse(args)
	b, n, d, err := readMatrix(*base)
	if err != nil {
		return err
	}
	q, nq, dq, err := readMatrix(*queries)
	if err != nil {
		return err
	}
	if d != dq {
		return fmt.Errorf("truth: documents of dimension %d, queries of %d", d, dq)
	}
	// Exact search a million documents at a time (an index copies its
	// vectors: 5,000,000 × 384 would take another 7.7 GB at once), each
	// chunk's best k merged in exact search's order. A document scores the
	// same in any chunk, so this is the whole index's result.
	const chunk = 1 << 20
	hits := make([][]index.Hit, nq)
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		f := index.New(d)
		ids := make([]string, hi-lo)
		for i := range ids {
			ids[i] = strconv.Itoa(lo + i)
		}
		if err := f.Add(ids, b.Data[lo*d:hi*d]); err != nil {
			return err
		}
		for i, hs := range f.Search(q.Data, nq, *k) {
			for _, h := range hs {
				hits[i] = append(hits[i], index.Hit{Doc: lo + h.Doc, Score: h.Score})
			}
			slices.SortFunc(hits[i], index.CompareHits)
			hits[i] = hits[i][:min(len(hits[i]), *k)]
		}
	}
	t := tensor.New(tensor.S(nq, *k))
	for i, hs := range hits {
		for j, h := range hs {
			t.Data[i**k+j] = float32(h.Doc) // exact below 2^24 documents
		}
	}
	if n > 1<<24 {
		return fmt.Errorf("truth: %d documents: indices above 2^24 do not fit a float32 exactly", n)
	}
	return tensor.WriteNpyFile(*out, t)
}

// result is one run's JSON line, the same from ivf_faiss.py.
type result struct {
	Engine     string  `json:"engine"`
	Kind       string  `json:"kind"`
	N          int     `json:"n"`
	D          int     `json:"d"`
	NList      int     `json:"nlist"`
	Iterations int     `json:"iterations"`
	Threads    int     `json:"threads"`
	TrainS     float64 `json:"train_s"`
	AddS       float64 `json:"add_s"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	VectorMB   float64 `json:"vector_mb"`
	Points     []point `json:"points"`
}

type point struct {
	NProbe   int     `json:"nprobe"`
	Recall10 float64 `json:"recall10"`
	QPS1     float64 `json:"qps_nq1"`
	QPS64    float64 `json:"qps_nq64"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	base := fs.String("base", "", "documents .npy")
	queries := fs.String("queries", "", "queries .npy")
	truthPath := fs.String("truth", "", "truth .npy from ivfbench truth")
	kind := fs.String("kind", "flat", "flat (IVF-Flat), sq8 (IVF-SQ8) or sq8-rescore (IVF-SQ8 keeping the float32 vectors, loaded from its file, the best 100 re-scored)")
	nlist := fs.Int("nlist", 1024, "lists")
	iters := fs.Int("iterations", 10, "k-means rounds")
	seed := fs.Uint64("seed", 1, "k-means seed")
	nprobes := fs.String("nprobe", "1,2,4,8,16,32,64", "nprobe grid")
	threads := fs.Int("threads", 1, "threads")
	nq1 := fs.Int("nq1", 200, "queries timed one at a time")
	nq64 := fs.Int("nq64", 1024, "queries timed in blocks of 64 (and scored for recall)")
	fs.Parse(args)
	if *kind != "flat" && *kind != "sq8" && *kind != "sq8-rescore" {
		return fmt.Errorf("run: -kind %q: want flat, sq8 or sq8-rescore", *kind)
	}
	rescore := *kind == "sq8-rescore"
	kernels.SetThreads(*threads)
	runtime.GOMAXPROCS(*threads)
	b, n, d, err := readMatrix(*base)
	if err != nil {
		return err
	}
	q, nq, _, err := readMatrix(*queries)
	if err != nil {
		return err
	}
	tr, _, tk, err := readMatrix(*truthPath)
	if err != nil {
		return err
	}
	*nq1, *nq64 = min(*nq1, nq), min(*nq64, nq)/64*64
	res := result{Engine: "rrra", Kind: "ivf-" + *kind, N: n, D: d, NList: *nlist, Iterations: *iters, Threads: *threads}
	began := time.Now()
	quant, err := index.TrainQuantizer(b.Data, n, d, index.IVFConfig{NList: *nlist, Iterations: *iters, Seed: *seed, SQ8: *kind != "flat"})
	if err != nil {
		return err
	}
	res.TrainS = time.Since(began).Seconds()
	began = time.Now()
	x := index.NewIVF(quant, rescore)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	if err := x.Add(ids, b.Data); err != nil {
		return err
	}
	res.AddS = time.Since(began).Seconds()
	res.PeakRSSMB = peakRSSMB()
	res.VectorMB = float64(x.VectorBytes()) / (1 << 20)
	b = nil
	if rescore {
		// Searched as a user would: loaded from its file, the float32
		// vectors memory-mapped and read only for re-scored candidates.
		if x, err = saveLoad(x); err != nil {
			return err
		}
		defer x.Close()
	}
	runtime.GC()

	for _, f := range strings.Split(*nprobes, ",") {
		np, err := strconv.Atoi(f)
		if err != nil || np < 1 {
			return fmt.Errorf("run: -nprobe %q", f)
		}
		opt := index.SearchOptions{NProbe: np}
		if rescore {
			opt.Rescore = 100 // 10·k, as FAISS's IndexRefineFlat with k_factor 10
		}
		if err := x.SetSearchOptions(opt); err != nil {
			return err
		}
		p := point{NProbe: np}
		x.SearchOne(q.Data[:d], 10) // warm
		began := time.Now()
		for i := range *nq1 {
			x.SearchOne(q.Data[i*d:(i+1)*d], 10)
		}
		p.QPS1 = float64(*nq1) / time.Since(began).Seconds()
		var hits [][]index.Hit
		began = time.Now()
		for i := 0; i < *nq64; i += 64 {
			hits = append(hits, x.Search(q.Data[i*d:(i+64)*d], 64, 10)...)
		}
		p.QPS64 = float64(*nq64) / time.Since(began).Seconds()
		var rec float64
		for i, hs := range hits {
			want := map[int]bool{}
			for _, v := range tr.Data[i*tk : i*tk+10] {
				want[int(v)] = true
			}
			for _, h := range hs {
				if want[h.Doc] {
					rec++
				}
			}
		}
		p.Recall10 = rec / float64(10*len(hits))
		res.Points = append(res.Points, p)
		fmt.Fprintf(os.Stderr, "rrra %s nlist %d nprobe %d t%d: recall@10 %.4f, %.0f q/s at nq 1, %.0f at nq 64\n",
			res.Kind, *nlist, np, *threads, p.Recall10, p.QPS1, p.QPS64)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return nil
}

// saveLoad writes x to a temporary file and loads it back (memory-mapped).
func saveLoad(x *index.IVF) (*index.IVF, error) {
	f, err := os.CreateTemp("", "ivfbench-*.ivf")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path) // the mapping outlives the name
	if err := x.Save(path); err != nil {
		return nil, err
	}
	return index.LoadIVF(path, index.LoadOptions{})
}

// peakRSSMB returns the process's peak resident memory (VmHWM), MiB.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return math.NaN()
}
