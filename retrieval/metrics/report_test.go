package metrics

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func reportFixture(t *testing.T) *Report {
	t.Helper()
	qrels := Qrels{"10": {"a": 1}, "2": {"b": 2, "c": 1}}
	run := Run{"10": {{"a", 1}, {"x", 0}}, "2": {{"c", 3}, {"b", 2}, {"y", 1}}}
	rep, err := Evaluate(qrels, run, []string{"P_2", "num_ret", "recip_rank"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := reportFixture(t).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	want := `{
  "P_2": 0.75,
  "num_ret": 5,
  "recip_rank": 1,
  "num_q": 2,
  "per_query": {
    "2": {
      "P_2": 1,
      "num_ret": 3,
      "recip_rank": 1
    },
    "10": {
      "P_2": 0.5,
      "num_ret": 2,
      "recip_rank": 1
    }
  }
}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	var decoded map[string]any
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if len(decoded) != 5 || decoded["P_2"] != 0.75 || decoded["num_q"] != 2.0 {
		t.Errorf("decoded %v", decoded)
	}
}

func TestWriteJSONEscapes(t *testing.T) {
	rep := &Report{
		Measures:   []string{"map"},
		Mean:       map[string]float64{"map": 0.5},
		PerQuery:   map[string]map[string]float64{`q"1`: {"map": 0.5}},
		NumQueries: 1,
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		PerQuery map[string]map[string]float64 `json:"per_query"`
	}
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(decoded.PerQuery, rep.PerQuery) {
		t.Errorf("per_query read back as %v", decoded.PerQuery)
	}
}

func TestWriteTable(t *testing.T) {
	rep := reportFixture(t)
	tests := []struct {
		perQuery bool
		want     string
	}{
		{false, "" +
			"num_q                 \tall\t2\n" +
			"P_2                   \tall\t0.7500\n" +
			"num_ret               \tall\t5\n" +
			"recip_rank            \tall\t1.0000\n"},
		{true, "" +
			"P_2                   \t2\t1.0000\n" +
			"num_ret               \t2\t3\n" +
			"recip_rank            \t2\t1.0000\n" +
			"P_2                   \t10\t0.5000\n" +
			"num_ret               \t10\t2\n" +
			"recip_rank            \t10\t1.0000\n" +
			"num_q                 \tall\t2\n" +
			"P_2                   \tall\t0.7500\n" +
			"num_ret               \tall\t5\n" +
			"recip_rank            \tall\t1.0000\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := rep.WriteTable(&buf, tt.perQuery); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("perQuery %v: got\n%s\nwant\n%s", tt.perQuery, buf.String(), tt.want)
		}
	}
}
