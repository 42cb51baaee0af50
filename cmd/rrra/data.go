package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

// dataFlags are the flags every command that reads a BEIR folder shares.
type dataFlags struct {
	data    *string
	parser  *string
	skipBad *bool
	maxMem  *string
	mem     *memPlan // set by load: the memory bound so far
}

// addDataFlags adds --data (defaulting to def: an embedded collection, so
// that a command works with no data of the user's, or "" where the data
// must be named), --parser and --skip-bad-lines.
func addDataFlags(fs interface {
	String(string, string, string) *string
	Bool(string, bool, string) *bool
}, def string) *dataFlags {
	return &dataFlags{
		data:    fs.String("data", def, "BEIR folder (corpus.jsonl[.gz], queries.jsonl, qrels/), or an embedded collection: cranfield, scifact"),
		parser:  fs.String("parser", "auto", "JSON parser for the corpus: auto, simdjson or stdlib"),
		skipBad: fs.Bool("skip-bad-lines", false, "skip and count malformed lines instead of failing"),
		maxMem:  fs.String("max-memory", "", "refuse to start work whose estimated peak memory exceeds this size, as 2GiB (docs/memory.md; default: no limit)"),
	}
}

// load reads the BEIR folder and reports what it read on stderr.
func (f *dataFlags) load(stderr io.Writer) (*beir.Dataset, beir.Options, error) {
	p, err := beir.ParseParser(*f.parser)
	if err != nil {
		return nil, beir.Options{}, err
	}
	opts := beir.Options{Parser: p, SkipBadLines: *f.skipBad}
	if f.mem, err = newMemPlan(*f.maxMem, stderr); err != nil {
		return nil, opts, err
	}
	fsys, name, err := openData(*f.data)
	if err != nil {
		return nil, opts, err
	}
	if err := f.mem.CorpusFile(fsys, name); err != nil {
		return nil, opts, err
	}
	d, err := beir.Load(fsys, name, opts)
	if err != nil {
		return nil, opts, err
	}
	for _, st := range d.Stats {
		fmt.Fprintln(stderr, st.String())
	}
	if err := f.mem.Corpus(d); err != nil {
		return nil, opts, err
	}
	return d, opts, nil
}

// openData opens spec, a BEIR folder or the name of an embedded
// collection, as beir.Open does; when it is neither, the error carries a
// "did you mean" for an embedded collection whose name is close.
func openData(spec string) (fs.FS, string, error) {
	fsys, name, err := beir.Open(spec)
	if err != nil {
		return nil, "", collectionHint(spec, err)
	}
	return fsys, name, nil
}

// qrelsOf reads a split and reports what it read.
func qrelsOf(d *beir.Dataset, split string, stderr io.Writer) (beir.Qrels, error) {
	q, st, err := d.Qrels(split)
	if err != nil {
		if s := didYouMean("", closest(split, d.Splits())); s != "" && !slices.Contains(d.Splits(), split) {
			return nil, &hintError{err, s}
		}
		return nil, err
	}
	fmt.Fprintln(stderr, st.String())
	return q, nil
}

// loadEncoder reads a model directory (retrieval.LoadEncoder) with
// queries of up to qLen and documents of up to dLen tokens, at precision
// ("": the folder's), reporting its notices on stderr.
func loadEncoder(dir string, qLen, dLen int, precision string, stderr io.Writer) (*retrieval.Encoder, error) {
	return retrieval.LoadEncoder(dir, retrieval.EncoderOptions{QueryLen: qLen, DocLen: dLen, Notices: stderr, Precision: precision})
}

// precisionUsage is the --precision flag's help, the same on every command
// that encodes.
const precisionUsage = "arithmetic of the model's Linear layers: fp32, int8, or bf16 (bfloat16 operands, float32 sums; faster only where the CPU's bfloat16 dot product outruns its float32 FMA: docs/precision.md) (default: the folder's: int8 for a folder from rrra quantize, else fp32)"

// addPrecisionFlag declares --precision on fs.
func addPrecisionFlag(fs *flag.FlagSet) *string { return fs.String("precision", "", precisionUsage) }

// checkPrecision refuses a --precision value that names no precision,
// before any work.
func checkPrecision(cmd, p string, stderr io.Writer) error {
	if p == "" {
		return nil
	}
	if _, err := nn.ParsePrecision(p); err != nil {
		fmt.Fprintf(stderr, "rrra %s: --%v\n", cmd, err)
		return errUsage
	}
	return nil
}

// loadTrainData reads the BEIR folder and the queries of split that have a
// relevant document, reporting those left out.
func (f *dataFlags) loadTrainData(split string, stderr io.Writer) (*beir.Dataset, *retrieval.TrainData, error) {
	d, _, err := f.load(stderr)
	if err != nil {
		return nil, nil, err
	}
	qrels, err := qrelsOf(d, split, stderr)
	if err != nil {
		return nil, nil, err
	}
	td, dropped, err := retrieval.NewTrainData(d, qrels)
	if err != nil {
		return nil, nil, err
	}
	if dropped > 0 {
		fmt.Fprintf(stderr, "%d queries of %s have no relevant document and are left out\n", dropped, split)
	}
	return d, td, nil
}

// checkCommon refuses, before any work, token lengths outside 0 (the
// model's default) or 3 to retrieval.MaxTokens (the model's
// max_position_embeddings bounds them again once it is read), and a
// negative --threads.
func checkCommon(cmd string, qLen, dLen, threads int, stderr io.Writer) error {
	for _, f := range []struct {
		name string
		v    int
	}{{"query-len", qLen}, {"doc-len", dLen}} {
		if f.v != 0 && (f.v < 3 || f.v > retrieval.MaxTokens) {
			fmt.Fprintf(stderr, "rrra %s: --%s %d: want 0 (the model's default) or 3 to %d\n", cmd, f.name, f.v, retrieval.MaxTokens)
			return errUsage
		}
	}
	if threads < 0 {
		fmt.Fprintf(stderr, "rrra %s: --threads %d: want ≥ 0 (0: all cores)\n", cmd, threads)
		return errUsage
	}
	return nil
}
