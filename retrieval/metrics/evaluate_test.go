package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Queries: q1 retrieved and relevant; q2 relevant but absent from the run;
// q3 judged with nothing relevant and retrieved; q4 judged with nothing
// relevant and absent; q9 only in the run.
func optionsFixture() (Qrels, Run) {
	qrels := Qrels{
		"q1": {"a": 1, "b": 0},
		"q2": {"c": 2, "d": 1},
		"q3": {"e": 0},
		"q4": {"f": 0},
	}
	run := Run{
		"q1": {{"a", 3}, {"b", 2}},
		"q3": {{"e", 1}},
		"q9": {{"a", 1}},
	}
	return qrels, run
}

func TestEvaluateQuerySelection(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		queries []string
		mapMean float64
		numRel  float64
		numRet  float64
	}{
		// As trec_eval: q3 counts with zeros, q2 and q4 are left out, q9 is ignored.
		{"default", Options{}, []string{"q1", "q3"}, 1.0 / 2, 1, 3},
		// As trec_eval -c: q2 and q4 count with empty rankings.
		{"complete", Options{Complete: true}, []string{"q1", "q2", "q3", "q4"}, 1.0 / 4, 3, 3},
		{"skip no relevant", Options{SkipNoRelevant: true}, []string{"q1"}, 1, 1, 2},
		{"complete, skip no relevant", Options{Complete: true, SkipNoRelevant: true}, []string{"q1", "q2"}, 1.0 / 2, 3, 2},
	}
	qrels, run := optionsFixture()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Evaluate(qrels, run, []string{"map", "num_rel", "num_ret"}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedQueryIDs(rep.PerQuery); !reflect.DeepEqual(got, tt.queries) {
				t.Errorf("queries %v, want %v", got, tt.queries)
			}
			if rep.NumQueries != len(tt.queries) {
				t.Errorf("NumQueries = %d, want %d", rep.NumQueries, len(tt.queries))
			}
			if math.Abs(rep.Mean["map"]-tt.mapMean) > 1e-15 {
				t.Errorf("map = %v, want %v", rep.Mean["map"], tt.mapMean)
			}
			// Counts are summed, not averaged.
			if rep.Mean["num_rel"] != tt.numRel || rep.Mean["num_ret"] != tt.numRet {
				t.Errorf("num_rel, num_ret = %v, %v; want %v, %v", rep.Mean["num_rel"], rep.Mean["num_ret"], tt.numRel, tt.numRet)
			}
		})
	}
}

func TestEvaluateCompleteZeros(t *testing.T) {
	qrels, run := optionsFixture()
	rep, err := Evaluate(qrels, run, []string{"ndcg_cut_10", "P_5", "recip_rank", "num_rel", "num_rel_ret"}, Options{Complete: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"ndcg_cut_10": 0, "P_5": 0, "recip_rank": 0, "num_rel": 2, "num_rel_ret": 0}
	if !reflect.DeepEqual(rep.PerQuery["q2"], want) {
		t.Errorf("q2 = %v, want %v", rep.PerQuery["q2"], want)
	}
}

func TestEvaluateEmptySliceIsAbsent(t *testing.T) {
	qrels, run := optionsFixture()
	run["q2"] = []Result{}
	rep, err := Evaluate(qrels, run, []string{"map"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.PerQuery["q2"]; ok {
		t.Error("query with an empty result slice was evaluated without Complete")
	}
}

func TestEvaluateMeasures(t *testing.T) {
	qrels, run := optionsFixture()
	rep, err := Evaluate(qrels, run, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Measures, DefaultMeasures()) {
		t.Errorf("Measures = %v, want the defaults", rep.Measures)
	}
	rep, err = Evaluate(qrels, run, []string{"P_1", "map", "P_1"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Measures, []string{"P_1", "map"}) {
		t.Errorf("Measures = %v, want [P_1 map]", rep.Measures)
	}
	if len(rep.Mean) != 2 || len(rep.PerQuery["q1"]) != 2 {
		t.Errorf("Mean has %d measures, q1 %d; want 2", len(rep.Mean), len(rep.PerQuery["q1"]))
	}
}

func TestEvaluateErrors(t *testing.T) {
	qrels, run := optionsFixture()
	tests := []struct {
		name     string
		qrels    Qrels
		run      Run
		measures []string
		opts     Options
		want     string
	}{
		{"unknown measure", qrels, run, []string{"map", "bpref"}, Options{}, `unknown measure "bpref"; valid measures: map, map_cut_K`},
		{"bad cutoff", qrels, run, []string{"P_0"}, Options{}, `measure "P_0"`},
		{"duplicate doc", qrels, Run{"q1": {{"a", 1}, {"b", 2}, {"a", 3}}}, nil, Options{}, `run query "q1": document "a" listed twice`},
		{"duplicate doc in an ignored query", qrels, Run{"q1": {{"a", 1}}, "zz": {{"a", 1}, {"a", 2}}}, nil, Options{}, `document "a" listed twice`},
		{"NaN score", qrels, Run{"q1": {{"a", math.NaN()}}}, nil, Options{}, `document "a" has a NaN score`},
		{"no common query", qrels, Run{"q9": {{"a", 1}}}, nil, Options{}, ErrNoQueries.Error()},
		{"empty qrels", Qrels{}, run, nil, Options{Complete: true}, ErrNoQueries.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.qrels, tt.run, tt.measures, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := Evaluate(qrels, Run{}, nil, Options{}); !errors.Is(err, ErrNoQueries) {
		t.Errorf("empty run: error %v, want ErrNoQueries", err)
	}
}

// TestEvaluateOrderIndependent checks that the order of a run's slices does
// not matter, on a run with many tied scores.
func TestEvaluateOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	qrels, run := Qrels{}, Run{}
	for q := range 20 {
		qid := string(rune('A' + q))
		qrels[qid] = map[string]int{}
		for d := range 60 {
			doc := string(rune('a'+d%26)) + string(rune('0'+d/26))
			if rng.IntN(3) == 0 {
				qrels[qid][doc] = rng.IntN(5) - 1
			}
			if rng.IntN(2) == 0 {
				run[qid] = append(run[qid], Result{doc, float64(rng.IntN(4))})
			}
		}
	}
	measures := []string{"ndcg", "ndcg_cut_5", "map", "map_cut_10", "P_3", "recall_20", "recip_rank", "mrr_cut_5", "num_rel", "num_rel_ret", "num_ret"}
	want, err := Evaluate(qrels, run, measures, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		for _, rs := range run {
			rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		}
		got, err := Evaluate(qrels, run, measures, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatal("reordering a run's results changed the report")
		}
	}
}
