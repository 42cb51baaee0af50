package metrics

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadQrels(t *testing.T) {
	want := Qrels{
		"1":  {"10": 2, "9": 0},
		"q2": {"d1": 1, "d 2": -1},
	}
	tests := []struct {
		name string
		in   string
		want Qrels
	}{
		{"BEIR", "query-id\tcorpus-id\tscore\n1\t10\t2\n1\t9\t0\nq2\td1\t1\nq2\td 2\t-1\n", want},
		{"BEIR, CRLF, BOM, blank lines", "\ufeffquery-id\tcorpus-id\tscore\r\n\r\n1\t10\t2\r\n1\t9\t0\r\nq2\td1\t1\r\nq2\td 2\t-1", want},
		{"BEIR without header", "1\t10\t2\n1\t9\t0\nq2\td1\t1\nq2\td 2\t-1\n", want},
		{"TREC", "1 0 10 2\n1 0 9 0\nq2 Q0 d1 1\n", Qrels{"1": {"10": 2, "9": 0}, "q2": {"d1": 1}}},
		{"TREC with tabs and blank lines", "\n1\t0\t10\t2\n  1 0   9 0  \n\nq2 0 d1 1\n", Qrels{"1": {"10": 2, "9": 0}, "q2": {"d1": 1}}},
		{"empty", "", Qrels{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadQrels(strings.NewReader(tt.in), "q.tsv")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadQrelsErrors(t *testing.T) {
	const h = "query-id\tcorpus-id\tscore\n"
	tests := []struct {
		name  string
		in    string
		line  int
		field string
		msg   string
	}{
		{"BEIR: two columns", h + "1\td1\t1\n1\td2\n", 3, "", "want 3 tab-separated columns"},
		{"BEIR: spaces, not tabs", h + "1 d1 1\n", 2, "", "got 1"},
		{"BEIR: score", h + "1\td1\thigh\n", 2, "score", `not an integer: "high"`},
		{"BEIR: fractional score", h + "\n1\td1\t0.5\n", 3, "score", `not an integer: "0.5"`},
		{"BEIR: empty query id", h + "\td1\t1\n", 2, "query-id", "empty"},
		{"BEIR: empty doc id", h + "1\t\t1\n", 2, "corpus-id", "empty"},
		{"BEIR: duplicate", h + "1\td1\t1\n2\td1\t1\n1\td1\t0\n", 4, "corpus-id", `document "d1" judged twice for query "1" (first on line 2)`},
		{"TREC: three fields", "1 0 d1 1\n1 0 d2\n", 2, "", "want 4 fields"},
		{"TREC: five fields", "1 0 d1 1 x\n", 1, "", "got 5"},
		{"TREC: rel", "1 0 d1 1\n1 0 d2 yes\n", 2, "rel", `not an integer: "yes"`},
		{"TREC: duplicate", "1 0 d1 1\n1 0 d1 1\n", 2, "docid", "judged twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadQrels(strings.NewReader(tt.in), "qrels/test.tsv")
			checkLineError(t, err, "qrels/test.tsv", tt.line, tt.field, tt.msg)
		})
	}
}
