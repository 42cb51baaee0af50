package metrics

import (
	"bytes"
	"io/fs"
	"math"
	"testing"

	"github.com/rrra/rrra/retrieval/datasets"
)

// TestEmbeddedQrels reads the BEIR qrels shipped with the repository and
// scores an oracle run (every judged document, scored by its judgment),
// which must be perfect on every query with a relevant document.
func TestEmbeddedQrels(t *testing.T) {
	for _, name := range []string{"scifact", "cranfield"} {
		fsys, err := datasets.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, split := range []string{"train", "test"} {
			path := "qrels/" + split + ".tsv"
			data, err := fs.ReadFile(fsys, path)
			if err != nil {
				t.Fatal(err)
			}
			qrels, err := ReadQrels(bytes.NewReader(data), name+"/"+path)
			if err != nil {
				t.Fatal(err)
			}
			judgments := 0
			run := Run{}
			for qid, docs := range qrels {
				judgments += len(docs)
				for doc, rel := range docs {
					run[qid] = append(run[qid], Result{doc, float64(rel)})
				}
			}
			if want := bytes.Count(data, []byte("\n")) - 1; judgments != want {
				t.Errorf("%s/%s: %d judgments, file has %d lines after the header", name, path, judgments, want)
			}
			rep, err := Evaluate(qrels, run, []string{"ndcg", "ndcg_cut_10", "map", "recip_rank", "recall_1000"}, Options{SkipNoRelevant: true})
			if err != nil {
				t.Fatal(err)
			}
			for m, v := range rep.Mean {
				if math.Abs(v-1) > 1e-12 {
					t.Errorf("%s/%s: oracle run: %s = %v, want 1", name, path, m, v)
				}
			}
		}
	}
}
