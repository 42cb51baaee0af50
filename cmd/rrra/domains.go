package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	libserver "github.com/rrra/rrra/adapter/server"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/weaviate"
)

// A domain is the set of values a numeric flag accepts: the interval from
// lo to hi (each end open or closed), plus the values in also, which mean
// something else (0: off, -1: the default). Every numeric flag of every
// subcommand has one (flagDomains), and parseFlags checks every such flag,
// set or not, before the command does any work: an out-of-domain value is
// an error (exit 1) naming the flag, its value and the domain.
type domain struct {
	lo, hi         float64
	loOpen, hiOpen bool      // exclude lo or hi themselves
	also           []float64 // values outside [lo, hi] that mean something
	any            bool      // every value the type holds (seeds)
}

// contains reports whether x is in d. NaN never is.
func (d domain) contains(x float64) bool {
	if d.any {
		return true
	}
	for _, a := range d.also {
		if x == a {
			return true
		}
	}
	switch {
	case math.IsNaN(x), x < d.lo, x > d.hi, d.loOpen && x == d.lo, d.hiOpen && x == d.hi:
		return false
	}
	return true
}

// String describes d as the error message gives it.
func (d domain) String() string {
	var b strings.Builder
	for _, a := range d.also {
		fmt.Fprintf(&b, "%s or ", num(a))
	}
	switch {
	case d.loOpen && d.hiOpen:
		fmt.Fprintf(&b, "above %s and below %s", num(d.lo), num(d.hi))
	case d.loOpen:
		fmt.Fprintf(&b, "above %s, at most %s", num(d.lo), num(d.hi))
	case d.hiOpen:
		fmt.Fprintf(&b, "%s or more, below %s", num(d.lo), num(d.hi))
	default:
		fmt.Fprintf(&b, "%s to %s", num(d.lo), num(d.hi))
	}
	return b.String()
}

// num formats x as the messages give it: integers in full.
func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Common domains.
var (
	// Counts from 1 to n.
	atLeast1 = func(n float64) domain { return domain{lo: 1, hi: n} }
	// Counts from 0 (off, none or the default, as the flag says) to n.
	atLeast0 = func(n float64) domain { return domain{lo: 0, hi: n} }
	// A token length: 0 (the model's default) or 3 to retrieval.MaxTokens.
	tokenLen = domain{lo: 3, hi: retrieval.MaxTokens, also: []float64{0}}
	// Kernel threads: 0 (all cores) or 1 to 4096.
	threadsDomain = atLeast0(4096)
	// A temperature: 0 (the model's or 1, as the flag says) or
	// nn.MinTemperature to nn.MaxTemperature.
	tempDomain = domain{lo: nn.MinTemperature, hi: nn.MaxTemperature, also: []float64{0}}
	// A learning rate: above 0, at most 10.
	lrDomain = domain{lo: 0, hi: 10, loOpen: true}
	// A reranking weight λ_RR: 0 (off) to 1e6.
	lambdaDomain = atLeast0(1e6)
	// Any value of the type (a seed).
	anyValue = domain{any: true}
)

// Upper bounds shared by several commands: beyond them a value allocates
// (a batch, a depth) or runs for longer than anyone means.
const (
	maxBatch = 1 << 16 // rows encoded or queries trained together
	maxDepth = 1 << 20 // results, candidates, negatives per query
	maxSteps = 1 << 30 // steps and step intervals
	maxVocab = 1 << 22 // vocabulary entries
)

// flagDomains returns the domain of every numeric flag of the command cmd
// ("rrra train", as its FlagSet is named).
func flagDomains(cmd string) map[string]domain {
	switch strings.TrimPrefix(cmd, "rrra ") {
	case "demo":
		return map[string]domain{"threads": threadsDomain}
	case "vocab":
		return map[string]domain{"min-frequency": atLeast1(1 << 30), "size": atLeast1(maxVocab)}
	case "encode":
		return map[string]domain{"batch": atLeast1(maxBatch), "max-len": tokenLen}
	case "train":
		return map[string]domain{
			"batch": atLeast1(maxBatch), "checkpoint-every": atLeast1(maxSteps), "clip": atLeast0(1e6),
			"dev-frac": {lo: 0, hi: 1, hiOpen: true}, "doc-len": tokenLen, "query-len": tokenLen,
			"eval-every": atLeast0(maxSteps), "log-every": atLeast1(maxSteps),
			"lr":        {lo: 0, hi: 10}, // 0: the default for the model's origin
			"negatives": atLeast0(maxDepth), "refresh": atLeast0(maxSteps), "seed": anyValue,
			"steps": atLeast1(maxSteps), "temperature": tempDomain, "threads": threadsDomain,
			"vocab-size": atLeast1(maxVocab), "warmup": {lo: 0, hi: maxSteps, also: []float64{-1}},
			"weight-decay": atLeast0(10),
		}
	case "mine":
		return map[string]domain{"doc-len": tokenLen, "query-len": tokenLen, "negatives": atLeast1(maxDepth),
			"seed": anyValue, "threads": threadsDomain}
	case "index":
		return map[string]domain{"doc-len": tokenLen, "threads": threadsDomain,
			"nlist": atLeast0(1 << 24), "iterations": atLeast0(1000), "sample": atLeast0(1 << 40), "seed": anyValue,
			"calibrate": {lo: 0, hi: 1}}
	case "index calibrate":
		return map[string]domain{"query-len": tokenLen, "threads": threadsDomain, "calibrate": {lo: 0, hi: 1, loOpen: true}}
	case "index train":
		return map[string]domain{"doc-len": tokenLen, "threads": threadsDomain,
			"nlist": atLeast0(1 << 24), "iterations": atLeast0(1000), "sample": atLeast0(1 << 40), "seed": anyValue}
	case "index add":
		return map[string]domain{"doc-len": tokenLen, "threads": threadsDomain}
	case "index merge":
		return map[string]domain{}
	case "search":
		return map[string]domain{"doc-len": tokenLen, "query-len": tokenLen, "k": atLeast1(maxDepth),
			"rerank": lambdaDomain, "rerank-k": atLeast1(maxDepth), "rerank-tau": tempDomain,
			"rrf-k": {lo: 0, hi: 1e9, loOpen: true}, "threads": threadsDomain,
			"nprobe": atLeast0(1 << 24), "rescore": atLeast0(maxDepth)}
	case "export":
		return map[string]domain{"doc-len": tokenLen, "threads": threadsDomain, "batch": atLeast1(weaviate.MaxK),
			"replication": atLeast0(64), "shards": atLeast0(1 << 12)}
	case "rerank":
		return map[string]domain{"doc-len": tokenLen, "query-len": tokenLen, "threads": threadsDomain,
			"rerank": lambdaDomain, "rerank-k": atLeast1(maxDepth), "rerank-tau": tempDomain}
	case "eval":
		return map[string]domain{"trials": atLeast1(1e8)}
	case "audit":
		return map[string]domain{"doc-len": tokenLen, "query-len": tokenLen, "k": atLeast1(maxDepth),
			"seed": anyValue, "threads": threadsDomain, "top": atLeast0(maxDepth)}
	case "serve":
		return map[string]domain{
			"batch-queries": atLeast1(libserver.MaxBatchQueries), "batch-wait": atLeast0(libserver.MaxBatchWait.Seconds()),
			"doc-len": tokenLen, "query-len": tokenLen, "max-batch": atLeast1(maxBatch),
			"max-inflight": atLeast1(1 << 16), "max-k": atLeast1(maxDepth), "max-query": atLeast1(1 << 20),
			"queue-len": atLeast0(libserver.MaxQueueLen), "rerank": lambdaDomain, "rerank-k": atLeast1(maxDepth),
			"timeout": {lo: 0, hi: time.Hour.Seconds(), loOpen: true}, "threads": threadsDomain,
			"nprobe": atLeast0(1 << 24), "rescore": atLeast0(maxDepth),
		}
	case "experiment":
		return map[string]domain{
			"batch": atLeast1(maxBatch), "doc-len": domain{lo: 3, hi: retrieval.MaxTokens}, "query-len": domain{lo: 3, hi: retrieval.MaxTokens},
			"hide-positives": {lo: 0, hi: 1, hiOpen: true}, "lr": lrDomain, "warm-lr": lrDomain,
			"negatives": atLeast0(maxDepth), "pool-k": atLeast1(maxDepth), "refresh": atLeast0(maxSteps),
			"rerank-k": atLeast1(maxDepth), "rerank-lambda": lambdaDomain, "seeds": atLeast1(1000),
			"steps": atLeast1(maxSteps), "warm-steps": atLeast1(maxSteps), "warm-batch": atLeast1(maxBatch),
			"temperature": {lo: nn.MinTemperature, hi: nn.MaxTemperature}, "threads": threadsDomain,
			"vocab-size": atLeast1(maxVocab),
		}
	}
	return nil
}

// numericValue returns a flag's value as a float64 (a duration in
// seconds), and whether the flag is numeric at all.
func numericValue(f *flag.Flag) (float64, bool) {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return 0, false
	}
	switch v := g.Get().(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	case time.Duration:
		return v.Seconds(), true
	}
	return 0, false
}

// checkDomains checks every numeric flag of fs, set or not, against its
// domain. A numeric flag without a domain is a bug in rrra, reported as
// such rather than let through.
func checkDomains(fs *flag.FlagSet) error {
	doms := flagDomains(fs.Name())
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		x, ok := numericValue(f)
		if !ok || err != nil {
			return
		}
		d, ok := doms[f.Name]
		switch {
		case !ok:
			err = fmt.Errorf("internal error: --%s has no stated domain (a bug in rrra; please report it)", f.Name)
		case !d.contains(x):
			err = fmt.Errorf("--%s %s: outside its domain: want %s", f.Name, f.Value.String(), d.describe(f))
		}
	})
	return err
}

// describe gives d in the flag's unit: durations in seconds.
func (d domain) describe(f *flag.Flag) string {
	if _, ok := f.Value.(flag.Getter).Get().(time.Duration); ok {
		return d.String() + " seconds"
	}
	return d.String()
}

// outputFlags returns the flags of the command cmd that name an output,
// each with whether it is a folder (else a file). parseFlags checks every
// one that is set before the command does any work (checkOutput), so that
// an unusable output is found before minutes of training, not after.
func outputFlags(cmd string) map[string]bool {
	switch strings.TrimPrefix(cmd, "rrra ") {
	case "demo", "experiment":
		return map[string]bool{"out": true}
	case "train":
		return map[string]bool{"out": true, "checkpoint": false, "history": false, "plot": false}
	case "export":
		return map[string]bool{"state": false}
	case "vocab", "encode", "mine", "search", "rerank":
		return map[string]bool{"out": false}
	case "index":
		return map[string]bool{"out": false, "npy": false}
	case "index train", "index add", "index merge", "index calibrate":
		return map[string]bool{"out": false}
	case "audit":
		return map[string]bool{"out": false, "tsv": false, "html": false}
	}
	return nil
}

// checkOutput reports whether path, the value of --name, can be written:
// a file's folder must exist, be a folder and take a new file; a folder
// output may be created with its parents, and the nearest existing one
// must take a new file. An existing path of the other kind is refused.
func checkOutput(name, path string, isDir bool) error {
	if path == "" || path == "-" && !isDir {
		return nil
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("--%s %s: %s", name, path, fmt.Sprintf(format, a...))
	}
	if st, err := os.Stat(path); err == nil {
		switch {
		case isDir && !st.IsDir():
			return fail("is a file, not a folder")
		case !isDir && st.IsDir():
			return fail("is a folder; want a file name")
		}
	}
	parent := filepath.Dir(path)
	if isDir {
		for {
			if _, err := os.Stat(parent); err == nil || filepath.Dir(parent) == parent {
				break
			}
			parent = filepath.Dir(parent)
		}
	}
	st, err := os.Stat(parent)
	switch {
	case err != nil:
		return fail("its folder %s does not exist", parent)
	case !st.IsDir():
		return fail("%s is not a folder", parent)
	}
	probe, err := os.CreateTemp(parent, ".rrra-probe-*")
	if err != nil {
		return fail("cannot write in %s: %v", parent, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// checkOutputs runs checkOutput over the output flags of fs that are set.
func checkOutputs(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if isDir, ok := outputFlags(fs.Name())[f.Name]; ok && err == nil {
			err = checkOutput(f.Name, f.Value.String(), isDir)
		}
	})
	return err
}
