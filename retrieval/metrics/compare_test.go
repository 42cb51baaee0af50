package metrics

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	a := &Report{Measures: []string{"map"}, PerQuery: map[string]map[string]float64{
		"q1": {"map": 0.5}, "q2": {"map": 0.7}, "q3": {"map": 0.9}, "q4": {"map": 0.2}}}
	b := &Report{Measures: []string{"map"}, PerQuery: map[string]map[string]float64{
		"q1": {"map": 0.4}, "q2": {"map": 0.5}, "q3": {"map": 0.6}}}
	c, err := Compare(a, b, "a.trec", "b.trec", 1000)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Measures[0]
	// Over q1..q3, the queries both have: means 0.7 and 0.5.
	if m.Queries != 3 || math.Abs(m.Run-0.7) > 1e-12 || math.Abs(m.Compare-0.5) > 1e-12 || math.Abs(m.Difference-0.2) > 1e-12 {
		t.Fatalf("%+v", m)
	}
	var sb strings.Builder
	if err := c.WriteTable(&sb); err != nil || !strings.Contains(sb.String(), "map") || !strings.Contains(sb.String(), "+0.2000") {
		t.Fatalf("table %q, %v", sb.String(), err)
	}
	if _, err := Compare(a, b, "a", "b", 0); err == nil {
		t.Error("0 trials accepted")
	}
	// An infinite t (every difference equal) is null in JSON.
	if b, err := json.Marshal(JSONFloat(math.Inf(1))); err != nil || string(b) != "null" {
		t.Errorf("JSONFloat(+Inf): %s %v", b, err)
	}
}

func TestSplitMeasures(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"ndcg_cut.5,10,map", []string{"ndcg_cut.5", "ndcg_cut.10", "map"}},
		{"map,10", []string{"map", "10"}},
		{" , ", nil},
	} {
		if got := SplitMeasures(c.in); !slices.Equal(got, c.want) {
			t.Errorf("SplitMeasures(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
