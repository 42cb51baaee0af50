package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/weaviate"
)

const exportSynopsis = `export [--data DIR] --model DIR [--index FILE] --to weaviate://HOST:PORT/CLASS [--vector-index flat|hnsw] [--batch N] [--state FILE]

Exports a BEIR corpus's documents (ids, texts) with their vectors from
the model's document tower (read from --index, an exact index that rrra
index wrote with the model, or encoded now) into a class of a Weaviate
vector database, so that the database serves the first stage and rrra
reranks its candidates (rrra search --engine) or audits its negatives.

The class is created with no vectorizer, Weaviate's dot-product
distance, the properties docid and text (searchable by Weaviate's own
BM25), the vector index --vector-index (hnsw: approximate, Weaviate's
default; flat: exact), --replication copies of each of --shards shards,
and a record of the model and corpus fingerprints in its description; a
class that holds another model's or another corpus's vectors is refused.
Objects get ids derived from the document ids, so an export run again
replaces rather than duplicates. Progress is recorded in --state after
each batch: an export killed midway, run again, resumes from its last
batch. At the end the class must hold exactly the corpus's documents.

Examples:

	rrra export --data cranfield --model rrra-demo/model --to weaviate://127.0.0.1:8080/Cranfield
	rrra export --data scifact --model model --index sf.idx --to weaviate://db:8080/SciFact --vector-index flat --batch 512`

// runExport is rrra export.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", exportSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	modelDir := fs.String("model", "", "bi-encoder directory whose document vectors are exported")
	indexPath := fs.String("index", "", "exact index from rrra index with the same model (default: encode the corpus now)")
	to := fs.String("to", "", "the database's class: weaviate://HOST:PORT/CLASS (CLASS starts with a capital letter)")
	vecIndex := fs.String("vector-index", "hnsw", "the class's vector index when it is created: hnsw (approximate) or flat (exact)")
	replication := fs.Int("replication", 0, "copies of each shard when the class is created (0: the server's default, 1)")
	shards := fs.Int("shards", 0, "shards of the class when it is created (0: one per node)")
	batch := fs.Int("batch", 256, "documents per import request")
	state := fs.String("state", "", "file recording the export's progress, to resume from after a kill (default: rrra-export-CLASS.state in the current folder; removed when the export completes)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("export", 0, *dLen, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("export", *precision, stderr); err != nil {
		return err
	}
	if *modelDir == "" || *to == "" {
		fmt.Fprintln(stderr, "rrra export: --model and --to are required")
		return errUsage
	}
	target, err := weaviate.ParseTarget(*to)
	if err != nil {
		fmt.Fprintf(stderr, "rrra export: --to: %v\n", err)
		return errUsage
	}
	if *vecIndex != "hnsw" && *vecIndex != "flat" {
		fmt.Fprintf(stderr, "rrra export: --vector-index %q: want hnsw or flat\n", *vecIndex)
		return errUsage
	}
	if *state == "" {
		*state = "rrra-export-" + target.Class + ".state"
	}
	if err := checkOutput("state", *state, false); err != nil {
		return err
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := weaviate.NewClient(target, nil)
	if err := c.Ready(ctx); err != nil {
		return fmt.Errorf("--to %s: the server is not ready: %w", target, err)
	}
	d, _, err := df.load(stderr)
	if err != nil {
		return err
	}
	enc, err := loadEncoder(*modelDir, 0, *dLen, *precision, stderr)
	if err != nil {
		return err
	}
	if err := df.mem.Dense(enc, d.Corpus.Len(), *indexPath == ""); err != nil {
		return err
	}
	ix, err := openIndex(*indexPath, enc, d, nil, stderr)
	if err != nil {
		return err
	}
	defer ix.Close()
	if _, ok := ix.(*index.IVF); ok {
		return fmt.Errorf("--index %s is an IVF index, whose vectors may be quantized: export an exact index (rrra index --type flat), or none", *indexPath)
	}
	corpus := retrieval.NewCorpusData(d)
	n, dim := ix.Len(), ix.Dim()
	vecs := make([]float32, 0, n*dim)
	for i := range n {
		vecs = append(vecs, ix.Vector(i)...)
	}
	meta := exportMeta(ix.Meta())
	pr := newProgress(stderr, "exporting", "docs", n)
	began := time.Now()
	rep, err := weaviate.Export(ctx, c, corpus.DocIDs, corpus.Docs, vecs, dim, meta, weaviate.ExportOptions{
		Class: weaviate.ClassConfig{Index: *vecIndex, Replication: *replication, Shards: *shards},
		Batch: *batch, State: *state,
		Progress: func(done, total int) { pr.update(done, "") },
	})
	if err != nil {
		if rep.Sent > 0 || rep.Resumed > 0 {
			return fmt.Errorf("%w (%d documents recorded done in %s: run the same export again to resume)", err, rep.Resumed+rep.Sent, *state)
		}
		return err
	}
	how := "into the existing class"
	if rep.Created {
		how = "into a new " + *vecIndex + " class"
	}
	if rep.Resumed > 0 {
		how += fmt.Sprintf(", resuming after %d documents", rep.Resumed)
	}
	if rep.Verified > 0 {
		how += fmt.Sprintf("; %d documents that an earlier export may have had in flight checked in the vector index, %d missing and sent again", rep.Verified, rep.Repaired)
	}
	fmt.Fprintf(stderr, "exported %d documents of dimension %d to %s %s in %.1fs: the class holds %d\n",
		rep.Sent, dim, target, how, time.Since(began).Seconds(), rep.Count)
	return nil
}

// exportMeta is what a class records of its vectors: the index's
// provenance (model and corpus fingerprints, precision, document length).
func exportMeta(m map[string]string) map[string]string {
	out := make(map[string]string)
	for _, k := range []string{retrieval.MetaModel, retrieval.MetaCorpus, retrieval.MetaPrecision, retrieval.MetaDocLen} {
		if v := strings.TrimSpace(m[k]); v != "" {
			out[k] = v
		}
	}
	return out
}
