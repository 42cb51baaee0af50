package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// checkFuzzLineError fails t unless err is a *LineError naming file, at a line
// of in, with a field from fields (or none) and a message.
func checkFuzzLineError(t *testing.T, in, file string, err error, fields ...string) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("%q: error %v (%T) is not a *LineError", in, err, err)
	}
	lines := strings.Count(in, "\n") + 1
	if le.File != file || le.Line < 1 || le.Line > lines || le.Err == nil || le.Err.Error() == "" {
		t.Fatalf("%q: error %+v: want file %q, a line in [1, %d] and a message", in, le, file, lines)
	}
	if le.Field != "" && !strings.Contains(" "+strings.Join(fields, " ")+" ", " "+le.Field+" ") {
		t.Fatalf("%q: error %v names field %q, not one of %v", in, err, le.Field, fields)
	}
}

// FuzzReadRun reads any input as a TREC run. Accepted runs have non-empty
// ids without white space, no NaN score and no document twice per query;
// WriteRun's file of them reads back with the same documents and the
// scores rounded to float32.
func FuzzReadRun(f *testing.F) {
	for _, s := range []string{
		"q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 1 tag\nq2 Q0 d1 1 -0 tag\n", "q1 Q0 d1 1 inf t\r\n\n", "\ufeffq1 Q0 d1 1 1e400 t",
		"q1 Q0 d1 one 2.5 tag", "q1 Q0 d1 1 NaN tag", "q1 Q0 d1 1 x tag", "q1 Q0 d1 1 1 tag\nq1 Q0 d1 2 1 tag",
		"q1 Q0 d1 1 1", "q1 Q0 d1 -1 1 t extra", "q1\tQ0\td1\t1\t0.5\tt", "q1 Q0 d1 99999999999999999999 1 t", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		run, err := ReadRun(strings.NewReader(in), "run.trec")
		if err != nil {
			checkFuzzLineError(t, in, "run.trec", err, "rank", "score", "docid")
			return
		}
		for qid, rs := range run {
			seen := map[string]bool{}
			for _, r := range rs {
				if qid == "" || r.DocID == "" || hasSpace(qid) || hasSpace(r.DocID) || math.IsNaN(r.Score) || seen[r.DocID] {
					t.Fatalf("%q: accepted %q %+v", in, qid, r)
				}
				seen[r.DocID] = true
			}
		}
		var b bytes.Buffer
		if err := WriteRun(&b, run, "t"); err != nil {
			t.Fatalf("%q: writing an accepted run: %v", in, err)
		}
		again, err := ReadRun(&b, "again")
		if err != nil {
			t.Fatalf("%q: reading WriteRun's output: %v", in, err)
		}
		want := make(map[string]map[string]float32)
		for qid, rs := range run {
			want[qid] = map[string]float32{}
			for _, r := range rs {
				want[qid][r.DocID] = float32(r.Score)
			}
		}
		got := make(map[string]map[string]float32)
		for qid, rs := range again {
			got[qid] = map[string]float32{}
			for _, r := range rs {
				got[qid][r.DocID] = float32(r.Score)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read back\n%v\nwant %v", in, got, want)
		}
	})
}

// FuzzReadQrels reads any input as qrels, BEIR TSV or TREC. Accepted
// judgments have non-empty ids and read back the same from a BEIR TSV
// written from them.
func FuzzReadQrels(f *testing.F) {
	for _, s := range []string{
		"query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n", "q1\td1\t2\n", "q1 0 d1 1\nq2 0 d1 -1\r\n", "\ufeffq1 0 d1 1",
		"q1 0 d1\n", "q1 0 d1 x\n", "q1 0 d1 1\nq1 0 d1 2\n", "q1\td1\t1\nq2 0 d1 1\n", "\td1\t1", " q1 \t d1 \t 3 ",
		"query-id\tcorpus-id\tscore\n", "q1\t\t1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := ReadQrels(strings.NewReader(in), "qrels.txt")
		if err != nil {
			checkFuzzLineError(t, in, "qrels.txt", err, "query-id", "corpus-id", "score", "qid", "docid", "rel")
			return
		}
		var b strings.Builder
		b.WriteString("query-id\tcorpus-id\tscore\n")
		for qid, docs := range q {
			for did, rel := range docs {
				if qid == "" || did == "" {
					t.Fatalf("%q: accepted %q %q", in, qid, did)
				}
				fmt.Fprintf(&b, "%s\t%s\t%d\n", qid, did, rel)
			}
		}
		again, err := ReadQrels(strings.NewReader(b.String()), "again")
		if err != nil {
			t.Fatalf("%q: reading back %q: %v", in, b.String(), err)
		}
		if len(q) == 0 {
			q = Qrels{}
		}
		if !reflect.DeepEqual(again, q) {
			t.Fatalf("%q: read back\n%v\nwant %v", in, again, q)
		}
	})
}
