// Command rrra trains, serves and audits dense retrievers with the RRRA
// method (resampling and reranking through a retriever adapter).
//
// Usage:
//
//	rrra <command> [flags]
//
// Run "rrra help" for the list of commands, "rrra <command> -h" for a
// command's flags and "rrra version" (or "rrra --version") for the build.
// A mistyped command, flag or collection name gets the error and one line
// of advice ("did you mean --method?"). Exit codes: 0 success, 1 failure,
// 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand of rrra.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "train and compare BM25, a bi-encoder, RRRA and their hybrid on the embedded Cranfield collection", runDemo},
		{"info", "print the CPU, its features and caches, and the kernel tier in use", runInfo},
		{"version", "print the version, the git revision and the Go version of this build", runVersion},
		{"vocab", "learn a WordPiece vocabulary from a JSONL corpus", runVocab},
		{"encode", "encode a JSONL file with a BERT model directory into a .npy array", runEncode},
		{"quantize", "write an int8 copy of a bi-encoder folder for faster inference", runQuantize},
		{"train", "train a bi-encoder on a BEIR folder with mined hard negatives", runTrain},
		{"mine", "mine hard negatives for a training split into Tevatron JSONL", runMine},
		{"index", "encode a corpus into an exact inner-product index", runIndex},
		{"export", "export a corpus's documents and vectors into a Weaviate vector database's class", runExport},
		{"search", "retrieve with BM25, a bi-encoder, or both fused, into a TREC run", runSearch},
		{"rerank", "rerank any system's TREC run with the model's RRRA adapters", runRerank},
		{"eval", "score a TREC run against qrels with trec_eval's measures", runEval},
		{"audit", "list the labelled negatives most likely to be false negatives", runAudit},
		{"serve", "serve a bi-encoder, hybrid with BM25 or reranked by its adapters, over HTTP with a search page", runServe},
		{"experiment", "train and compare negative samplers and RRRA under one budget and seeds", runExperiment},
	}
}

// errUsage marks an error in how rrra was called (exit code 2).
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes rrra with args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		cmdErr := stderr
		var held *tailBuffer
		if quietRequested(args[1:]) {
			held = &tailBuffer{max: 64 << 10}
			cmdErr = held
		}
		err := c.run(args[1:], stdout, cmdErr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			if held != nil { // a usage message is not progress: show it
				stderr.Write(held.b)
			}
			return 2
		default:
			fmt.Fprintf(stderr, "rrra %s: %v\n", c.name, err)
			if h := hintOf(err); h != "" {
				fmt.Fprintln(stderr, h)
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "rrra: unknown command %q\n%s\n", args[0], commandHint(args[0]))
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "rrra trains, serves and audits dense retrievers with RRRA.")
	fmt.Fprintln(w, "\nUsage:\n\n\trrra <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"rrra <command> -h\" for a command's flags.")
}

// quietRequested reports whether args set --quiet, which every
// subcommand takes: its logs and progress are then held back, and only an
// error (or a usage message) reaches stderr.
func quietRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		switch strings.TrimLeft(a, "-") {
		case "quiet", "quiet=true", "quiet=1", "quiet=t", "quiet=T", "quiet=TRUE", "quiet=True":
			return strings.HasPrefix(a, "-")
		}
	}
	return false
}

// isQuiet reports, after parsing, whether fs's --quiet is set.
func isQuiet(fs *flag.FlagSet) bool {
	q, _ := fs.Lookup("quiet").Value.(flag.Getter).Get().(bool)
	return q
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	b   []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// newFlags returns a FlagSet for a subcommand that writes its help to stderr
// and reports errors instead of exiting. Every subcommand takes --quiet
// (see quietRequested).
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rrra "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("quiet", false, "errors only on stderr: no progress or logs")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rrra %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping a bad flag to errUsage, and checks every
// numeric flag against its domain (checkDomains) and every output flag
// for whether it can be written (checkOutputs). -h (or --help)
// prints the full usage; a bad flag prints the error and one line of
// advice (the defined flag nearest to a mistyped one, and where the list
// is), not the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard) // the flag package's own error line: printed below instead
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		fmt.Fprintf(out, "%s: %v\n%s\n", fs.Name(), err, flagHint(fs, err))
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "%s: unexpected arguments %q\n%s\n", fs.Name(), fs.Args(),
			"every argument is a flag, as --name value ("+fs.Name()+" -h lists them)")
		return errUsage
	}
	if err := checkDomains(fs); err != nil {
		return err
	}
	return checkOutputs(fs)
}
