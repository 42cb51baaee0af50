package metrics

import (
	"math"
	"strings"
	"testing"
)

// In the main example, the ranking is x, c, a, b, e, d: a and c tie at 0.8
// and trec_eval puts the greater document id first. The gains by rank are
// 0, 0, 3, 2, 0, 1; the relevant documents are a, b, d and f (f is never
// retrieved); e's negative judgment counts as not relevant.
var (
	mainJudged = map[string]int{"a": 3, "b": 2, "c": 0, "d": 1, "e": -1, "f": 1}
	mainRun    = []Result{{"d", 0.1}, {"a", 0.8}, {"x", 0.9}, {"b", 0.5}, {"c", 0.8}, {"e", 0.4}}
)

func TestMeasureValues(t *testing.T) {
	log2 := math.Log2
	tests := []struct {
		name    string
		judged  map[string]int
		results []Result
		measure string
		want    float64
	}{
		{"P_1", mainJudged, mainRun, "P_1", 0},
		{"P_3", mainJudged, mainRun, "P_3", 1.0 / 3},
		{"P_5", mainJudged, mainRun, "P_5", 2.0 / 5},
		{"P past the ranking counts missing docs as not relevant", mainJudged, mainRun, "P_10", 3.0 / 10},
		{"recall_3", mainJudged, mainRun, "recall_3", 1.0 / 4},
		{"recall_5", mainJudged, mainRun, "recall_5", 2.0 / 4},
		{"recall past the ranking", mainJudged, mainRun, "recall_100", 3.0 / 4},
		{"recip_rank", mainJudged, mainRun, "recip_rank", 1.0 / 3},
		{"mrr_cut before the first relevant", mainJudged, mainRun, "mrr_cut_2", 0},
		{"mrr_cut at the first relevant", mainJudged, mainRun, "mrr_cut_3", 1.0 / 3},
		{"mrr_cut past it", mainJudged, mainRun, "mrr_cut_10", 1.0 / 3},
		{"map", mainJudged, mainRun, "map", (1.0/3 + 2.0/4 + 3.0/6) / 4},
		{"map_cut_2", mainJudged, mainRun, "map_cut_2", 0},
		{"map_cut_4", mainJudged, mainRun, "map_cut_4", (1.0/3 + 2.0/4) / 4},
		{"map_cut past the ranking", mainJudged, mainRun, "map_cut_1000", (1.0/3 + 2.0/4 + 3.0/6) / 4},
		{"ndcg_cut_2: nothing relevant yet", mainJudged, mainRun, "ndcg_cut_2", 0},
		{"ndcg_cut_3", mainJudged, mainRun, "ndcg_cut_3", (3 / log2(4)) / (3 + 2/log2(3) + 1/log2(4))},
		{"ndcg_cut_5", mainJudged, mainRun, "ndcg_cut_5",
			(3/log2(4) + 2/log2(5)) / (3 + 2/log2(3) + 1/log2(4) + 1/log2(5))},
		{"ndcg_cut past the ranking: ideal from all relevant", mainJudged, mainRun, "ndcg_cut_10",
			(3/log2(4) + 2/log2(5) + 1/log2(7)) / (3 + 2/log2(3) + 1/log2(4) + 1/log2(5))},
		{"ndcg", mainJudged, mainRun, "ndcg",
			(3/log2(4) + 2/log2(5) + 1/log2(7)) / (3 + 2/log2(3) + 1/log2(4) + 1/log2(5))},
		{"num_rel", mainJudged, mainRun, "num_rel", 4},
		{"num_rel_ret", mainJudged, mainRun, "num_rel_ret", 3},
		{"num_ret", mainJudged, mainRun, "num_ret", 6},

		// Ties are broken by document id, descending, as bytes: "9" > "10".
		{"byte order of ids: 9 before 10", map[string]int{"10": 1}, []Result{{"10", 1}, {"9", 1}}, "recip_rank", 0.5},
		{"byte order of ids: b before a", map[string]int{"b": 1}, []Result{{"a", 1}, {"b", 1}}, "recip_rank", 1},
		{"the score decides before the id", map[string]int{"10": 1}, []Result{{"10", 2}, {"9", 1}}, "recip_rank", 1},
		{"infinite scores rank", map[string]int{"z": 1}, []Result{{"a", 5}, {"z", math.Inf(1)}, {"b", math.Inf(-1)}}, "recip_rank", 1},

		// Graded gains and cutoffs beyond the relevant documents.
		{"gain is the level", map[string]int{"a": 1, "b": 4}, []Result{{"a", 2}, {"b", 1}}, "ndcg_cut_2",
			(1 + 4/log2(3)) / (4 + 1/log2(3))},
		{"one relevant at rank 1, k > num_rel", map[string]int{"a": 2, "b": 0}, []Result{{"a", 2}, {"b", 1}}, "ndcg_cut_10", 1},
		{"one relevant at rank 2, k > num_rel", map[string]int{"a": 2}, []Result{{"b", 2}, {"a", 1}}, "ndcg_cut_10", 1 / log2(3)},
		{"P with fewer results than k", map[string]int{"a": 1, "b": 1}, []Result{{"a", 2}, {"b", 1}}, "P_10", 0.2},
		{"recall with k > num_rel", map[string]int{"a": 1, "b": 1}, []Result{{"a", 2}, {"b", 1}}, "recall_10", 1},

		// A negative judgment: zero gain, not relevant, not in the ideal.
		{"negative judgment: ndcg", map[string]int{"a": -1, "b": 1}, []Result{{"a", 2}, {"b", 1}}, "ndcg", 1 / log2(3)},
		{"negative judgment: P_1", map[string]int{"a": -1, "b": 1}, []Result{{"a", 2}, {"b", 1}}, "P_1", 0},
		{"negative judgment: num_rel", map[string]int{"a": -1, "b": 1}, []Result{{"a", 2}, {"b", 1}}, "num_rel", 1},

		// A query without relevant documents scores 0 everywhere.
		{"no relevant: P", map[string]int{"a": 0}, []Result{{"a", 1}}, "P_1", 0},
		{"no relevant: ndcg", map[string]int{"a": 0}, []Result{{"a", 1}}, "ndcg", 0},
		{"no relevant: ndcg_cut", map[string]int{"a": 0}, []Result{{"a", 1}}, "ndcg_cut_10", 0},
		{"no relevant: recall", map[string]int{"a": 0}, []Result{{"a", 1}}, "recall_10", 0},
		{"no relevant: map", map[string]int{"a": 0}, []Result{{"a", 1}}, "map", 0},
		{"no relevant: map_cut", map[string]int{"a": 0}, []Result{{"a", 1}}, "map_cut_10", 0},
		{"no relevant: num_ret", map[string]int{"a": 0}, []Result{{"a", 1}}, "num_ret", 1},

		// An empty ranking (a query absent from the run, with Complete).
		{"empty ranking: ndcg_cut", map[string]int{"a": 1}, nil, "ndcg_cut_10", 0},
		{"empty ranking: P", map[string]int{"a": 1}, nil, "P_5", 0},
		{"empty ranking: map", map[string]int{"a": 1}, nil, "map", 0},
		{"empty ranking: recip_rank", map[string]int{"a": 1}, nil, "recip_rank", 0},
		{"empty ranking: num_rel", map[string]int{"a": 1, "b": 3}, nil, "num_rel", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseMeasure(tt.measure)
			if err != nil {
				t.Fatal(err)
			}
			got := newJudgedRanking(tt.judged, tt.results).value(m)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("%s = %.15g, want %.15g", tt.measure, got, tt.want)
			}
		})
	}
}

func TestParseMeasure(t *testing.T) {
	good := map[string]measure{
		"map":         {"map", kindMap, 0},
		"map_cut_7":   {"map_cut_7", kindMapCut, 7},
		"ndcg":        {"ndcg", kindNDCG, 0},
		"ndcg_cut_10": {"ndcg_cut_10", kindNDCGCut, 10},
		"P_1":         {"P_1", kindP, 1},
		"recall_1000": {"recall_1000", kindRecall, 1000},
		"recip_rank":  {"recip_rank", kindRecipRank, 0},
		"mrr_cut_10":  {"mrr_cut_10", kindMRRCut, 10},
		"num_rel":     {"num_rel", kindNumRel, 0},
		"num_rel_ret": {"num_rel_ret", kindNumRelRet, 0},
		"num_ret":     {"num_ret", kindNumRet, 0},
	}
	for name, want := range good {
		got, err := parseMeasure(name)
		if err != nil || got != want {
			t.Errorf("parseMeasure(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, name := range []string{"", "MAP", "ndcg_cut", "ndcg_cut_", "P_0", "P_-1", "P_05", "P_x", "P.10", "recall_1.5", "mrr", "ndcg_cut_10 ", "bpref"} {
		_, err := parseMeasure(name)
		if err == nil {
			t.Errorf("parseMeasure(%q): no error", name)
			continue
		}
		for _, valid := range []string{"ndcg_cut_K", "mrr_cut_K", "recip_rank", "num_rel_ret"} {
			if !strings.Contains(err.Error(), valid) {
				t.Errorf("parseMeasure(%q): error %q does not list %s", name, err, valid)
			}
		}
	}
}

func TestDefaultMeasures(t *testing.T) {
	want := []string{"ndcg_cut_10", "mrr_cut_10", "recall_100", "map", "P_10", "recip_rank"}
	got := DefaultMeasures()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("DefaultMeasures() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if DefaultMeasures()[0] != "ndcg_cut_10" {
		t.Error("DefaultMeasures returns shared state")
	}
	for _, name := range want {
		if _, err := parseMeasure(name); err != nil {
			t.Error(err)
		}
	}
}
