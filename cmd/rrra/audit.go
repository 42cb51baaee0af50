package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/bench/plots"
	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/beir"
)

const auditSynopsis = `audit [--data DIR] --model DIR [--split train] [--k 100] --out FILE.jsonl [--tsv FILE] [--html FILE]

Lists the labelled negatives of a split that are most likely false
negatives (relevant documents the qrels missed): the model mines each
query's top --k documents that the qrels do not mark relevant, and RRRA
adapters, fitted on the split's labels and cross-fitted (a query's
candidates are judged by an adapter that never saw that query), estimate
s_FN for each. Rows are written best suspects first, with the query, the
document, s_FN, rank and score, and both texts: JSONL (--out), TSV (--tsv)
and a self-contained HTML report with the distribution of s_FN and the top
suspects (--html). A tool for cleaning qrels: read the top of the list.

Example (the model the demo leaves, its training labels):

	rrra audit --data cranfield --model rrra-demo/model --out suspects.jsonl --html suspects.html`

// suspect is one audited (query, negative) pair.
type suspect struct {
	QueryID  string  `json:"query_id"`
	Query    string  `json:"query"`
	DocID    string  `json:"doc_id"`
	Title    string  `json:"title,omitempty"`
	Text     string  `json:"text"`
	SFN      float64 `json:"s_fn"`
	Rank     int     `json:"rank"`
	Score    float64 `json:"score"`
	QueryTop int     `json:"query_rank"` // the pair's place among its query's suspects, 1 = most suspect
}

func runAudit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", auditSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory")
	split := fs.String("split", "train", "split whose labels to audit")
	k := fs.Int("k", 100, "mined negatives per query")
	out := fs.String("out", "", "JSONL of every audited pair, best suspects first")
	tsv := fs.String("tsv", "", "also write a TSV")
	htmlOut := fs.String("html", "", "also write a self-contained HTML report")
	top := fs.Int("top", 50, "suspects listed in the HTML report and on stdout")
	asJSON := fs.Bool("json", false, "print the top suspects on stdout as a JSON array (the --out rows) instead of a table")
	params := fs.String("rrra-params", adapter.RecommendedParams, "adapter parameters name=value,... on top of rrra train -h's defaults (default: the best false-negative finder measured, chosen on Cranfield, confirmed on SciFact)")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	seed := fs.Uint64("seed", 1, "adapter seed")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("audit", *qLen, *dLen, *threads, stderr); err != nil {
		return err
	}
	if *df.data == "" || *modelDir == "" || *out == "" || *k < 1 || *top < 0 || *threads < 0 {
		fmt.Fprintln(stderr, "rrra audit: --data, --model and --out are required; --k ≥ 1, --top ≥ 0, --threads ≥ 0")
		return errUsage
	}
	cfg := adapter.AuditConfig{K: *k, Sampler: adapter.DefaultSamplerConfig(), Seed: *seed, ScorePositives: *htmlOut != "", Log: stderr}
	if err := adapter.ParseParams(*params, &cfg.Sampler); err != nil {
		return err
	}
	if err := cfg.Sampler.Validate(); err != nil {
		return err
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	d, td, err := df.loadTrainData(*split, stderr)
	if err != nil {
		return err
	}
	enc, err := loadEncoder(*modelDir, *qLen, *dLen, "", stderr)
	if err != nil {
		return err
	}
	if err := df.mem.Dense(enc, d.Corpus.Len(), true); err != nil {
		return err
	}
	cfg.Progress = docProgress(stderr, len(td.Docs))
	found, err := adapter.Audit(enc, td, cfg)
	if err != nil {
		return err
	}
	rows := make([]suspect, len(found.Suspects))
	for i, f := range found.Suspects {
		doc := &d.Corpus.Docs[f.Doc]
		rows[i] = suspect{QueryID: f.QueryID, Query: td.Queries[f.Query], DocID: f.DocID, Title: doc.Title, Text: doc.Text,
			SFN: f.SFN, Rank: f.Rank, Score: f.Score, QueryTop: f.QueryTop}
	}
	var jb bytes.Buffer
	enc2 := json.NewEncoder(&jb)
	enc2.SetEscapeHTML(false)
	for i := range rows {
		if err := enc2.Encode(&rows[i]); err != nil {
			return err
		}
	}
	// The JSONL file and the optional TSV and HTML ones change together
	// or not at all.
	var g atomicfile.Group
	defer g.Abort()
	if err := g.Add(*out, atomicfile.FromBytes(jb.Bytes())); err != nil {
		return err
	}
	if *tsv != "" {
		var tb bytes.Buffer
		w := bufio.NewWriter(&tb)
		fmt.Fprintln(w, "query_id\tdoc_id\ts_fn\trank\tscore\tquery\ttitle\ttext")
		clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%.6f\t%d\t%.6f\t%s\t%s\t%s\n", clean.Replace(r.QueryID), clean.Replace(r.DocID), r.SFN, r.Rank, r.Score,
				clean.Replace(r.Query), clean.Replace(r.Title), clean.Replace(r.Text))
		}
		w.Flush()
		if err := g.Add(*tsv, atomicfile.FromBytes(tb.Bytes())); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		ar := make([]plots.AuditRow, len(rows))
		for i, r := range rows {
			ar[i] = plots.AuditRow{QueryID: r.QueryID, Query: r.Query, DocID: r.DocID, Title: r.Title, Text: r.Text, SFN: r.SFN, Rank: r.Rank}
		}
		page, err := plots.AuditReport(ar, found.PositiveRel, *top, d.Name, *split, *modelDir)
		if err != nil {
			return err
		}
		if err := g.Add(*htmlOut, atomicfile.FromBytes(page)); err != nil {
			return err
		}
	}
	if err := g.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "audited %d negatives of %d queries; wrote %s\n", len(rows), found.Queries, *out)
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetEscapeHTML(false)
		e.SetIndent("", "  ")
		return e.Encode(rows[:min(*top, len(rows))])
	}
	for i, r := range rows[:min(*top, len(rows))] {
		fmt.Fprintf(stdout, "%3d  s_FN %.3f  rank %3d  query %s  doc %s  %s\n", i+1, r.SFN, r.Rank, r.QueryID, r.DocID, beir.Snippet(r.Title+" "+r.Text, 80))
	}
	return nil
}
