package retrieval

import (
	"testing"
)

// TestTrainPrompts checks that a trainer puts the model's prompts before
// its training texts: a run with prompts equals, loss for loss, a run
// without them on data whose texts carry the prompts already.
func TestTrainPrompts(t *testing.T) {
	c := loadCranfield(t)
	cfg := TrainConfig{Steps: 3, BatchQueries: 4, Negatives: 1, LR: 1e-3, Seed: 3, LogEvery: 1}
	run := func(prompted bool) []float64 {
		sampler, err := NewSampler("bm25", "")
		if err != nil {
			t.Fatal(err)
		}
		tr := c.newTrainer(t, cfg, sampler)
		if prompted {
			tr.Enc.QueryPrompt, tr.Enc.DocPrompt = "query: ", "passage: "
		} else {
			td := *tr.Data
			td.Queries = append([]string(nil), td.Queries...)
			td.Docs = append([]string(nil), td.Docs...)
			for i := range td.Queries {
				td.Queries[i] = "query: " + td.Queries[i]
			}
			for i := range td.Docs {
				td.Docs[i] = "passage: " + td.Docs[i]
			}
			// BM25 mines on the texts without prompts in both runs.
			tr.BM25 = BuildBM25(tr.Data)
			tr.Data = &td
		}
		if _, err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for _, r := range tr.History {
			losses = append(losses, r.Loss)
		}
		return losses
	}
	with, manual := run(true), run(false)
	if len(with) != 3 || len(manual) != 3 {
		t.Fatalf("%d and %d logged steps, want 3", len(with), len(manual))
	}
	for i := range with {
		if with[i] != manual[i] {
			t.Fatalf("step %d: loss %v with prompts, %v with prompted texts", i+1, with[i], manual[i])
		}
	}
}
