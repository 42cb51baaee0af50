package beir

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets below take each reader through encoding/json, strictly
// (FuzzParsers compares simdjson-go with encoding/json). Each checks what a
// reader promises beyond not panicking: an error is a *LineError naming the
// file and a line that exists, with a non-empty message; what it accepts
// has the invariants the reader documents and survives being written out
// and read back unchanged.

// lineCount returns the number of lines a reader can report on: the lines
// of in, plus the one after the last for errors about a missing header.
func lineCount(in string) int { return strings.Count(in, "\n") + 2 }

// checkLineError fails t unless err is a *LineError naming file, at a line
// of in, with a message.
func checkLineError(t *testing.T, in, file string, err error) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("%q: error %v (%T) is not a *LineError", in, err, err)
	}
	if le.File != file || le.Line < 1 || le.Line > lineCount(in) || le.Err == nil || le.Err.Error() == "" {
		t.Fatalf("%q: error %+v: want file %q, a line in [1, %d] and a message", in, le, file, lineCount(in))
	}
	if !strings.HasPrefix(err.Error(), file+":") {
		t.Fatalf("%q: error %q does not start with the file name", in, err)
	}
}

// jsonlSeeds are corpus and queries lines, good and bad.
var jsonlSeeds = []string{
	`{"_id": "a", "title": "t", "text": "x"}`,
	"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"\"}\n",
	`{"_id": "a", "text": "x"}` + "\n" + `{"_id": "a", "text": "y"}`,
	`{"_id": "", "text": "x"}`, `{"text": "x"}`, `{"_id": "a"}`, `{"_id": 1, "text": "x"}`,
	`{"_id": "a", "text": ["x"]}`, `[1, 2]`, `{"_id": "a", "text": "x"`, "{\"_id\": \"a\", \"text\": \"\xff\"}",
	`{"_id": "a", "text": "\ud800 \u00e9", "title": null}`, "\n\n   \r\n", "\ufeff{\"_id\": \"a\", \"text\": \"x\"}",
}

// writeJSONL writes rows as JSON lines with the given field names.
func writeJSONL(t *testing.T, rows [][3]string) string {
	var b bytes.Buffer
	for _, r := range rows {
		line, err := json.Marshal(map[string]string{"_id": r[0], "title": r[1], "text": r[2]})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// FuzzCorpus reads any input as corpus.jsonl. Accepted documents have
// distinct non-empty ids found by Index, and read back the same from a
// file written from them; Stats count every line and every kept row.
func FuzzCorpus(f *testing.F) {
	for _, s := range jsonlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, st, err := ReadCorpus(strings.NewReader(in), "corpus.jsonl", Options{Parser: ParserStdlib})
		if err != nil {
			checkLineError(t, in, "corpus.jsonl", err)
			return
		}
		if st.Kept != c.Len() || st.Lines > lineCount(in) || st.SkippedTotal() != 0 {
			t.Fatalf("%q: stats %+v for %d documents", in, st, c.Len())
		}
		rows := make([][3]string, c.Len())
		for i, d := range c.Docs {
			if j, ok := c.Index(d.ID); d.ID == "" || !ok || j != i {
				t.Fatalf("%q: document %d has id %q, indexed at %d %v", in, i, d.ID, j, ok)
			}
			rows[i] = [3]string{d.ID, d.Title, d.Text}
		}
		again, _, err := ReadCorpus(strings.NewReader(writeJSONL(t, rows)), "again", Options{Parser: ParserStdlib})
		if err != nil || !reflect.DeepEqual(again.Docs, c.Docs) {
			t.Fatalf("%q: read back: %v\n%+v\n%+v", in, err, c.Docs, again)
		}
	})
}

// FuzzQueries reads any input as queries.jsonl: as FuzzCorpus, and every
// accepted query has a non-empty text.
func FuzzQueries(f *testing.F) {
	for _, s := range jsonlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, st, err := ReadQueries(strings.NewReader(in), "queries.jsonl", Options{Parser: ParserStdlib})
		if err != nil {
			checkLineError(t, in, "queries.jsonl", err)
			return
		}
		if st.Kept != q.Len() || st.SkippedTotal() != 0 {
			t.Fatalf("%q: stats %+v for %d queries", in, st, q.Len())
		}
		rows := make([][3]string, q.Len())
		for i, x := range q.List {
			if j, ok := q.Index(x.ID); x.ID == "" || x.Text == "" || !ok || j != i {
				t.Fatalf("%q: query %d: %+v, indexed at %d %v", in, i, x, j, ok)
			}
			rows[i] = [3]string{x.ID, "", x.Text}
		}
		again, _, err := ReadQueries(strings.NewReader(writeJSONL(t, rows)), "again", Options{Parser: ParserStdlib})
		if err != nil || !reflect.DeepEqual(again.List, q.List) {
			t.Fatalf("%q: read back: %v\n%+v\n%+v", in, err, q.List, again)
		}
	})
}

// FuzzQrels reads any input as a qrels TSV, checked against a corpus of d1
// and d2 and queries q1 and q2 when checkIDs. Accepted judgments have
// non-empty ids (known ones when checked) and read back the same from
// WriteQrels' output.
func FuzzQrels(f *testing.F) {
	head := "query-id\tcorpus-id\tscore\n"
	for _, s := range []string{
		head + "q1\td1\t1\nq2\td2\t0\n", head + "q1\td1\t-2\r\n\n", head, "", "q1\td1\t1\n", head + "q1\td1\n",
		head + "q1\td1\thigh\n", head + "q9\td1\t1\n", head + "q1\td1\t1\nq1\td1\t2\n", head + "\td1\t1\n",
		head + "q1\td1\t99999999999999999999\n", head + "q1\t\xff\t1\n", head + "q1\td1\t 3 \n",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	corpus, err := NewCorpus([]Doc{{ID: "d1"}, {ID: "d2"}})
	if err != nil {
		f.Fatal(err)
	}
	queries, err := NewQueries([]Query{{ID: "q1", Text: "x"}, {ID: "q2", Text: "y"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string, checkIDs bool) {
		qs, cs := queries, corpus
		if !checkIDs {
			qs, cs = nil, nil
		}
		q, st, err := ReadQrels(strings.NewReader(in), "test.tsv", qs, cs, Options{})
		if err != nil {
			checkLineError(t, in, "test.tsv", err)
			return
		}
		n := 0
		for qid, docs := range q {
			for did := range docs {
				n++
				_, knownQ := queries.Index(qid)
				_, knownD := corpus.Index(did)
				if qid == "" || did == "" || checkIDs && (!knownQ || !knownD) {
					t.Fatalf("%q: accepted the pair %q %q", in, qid, did)
				}
			}
		}
		if st.Kept != n {
			t.Fatalf("%q: kept %d, have %d judgments", in, st.Kept, n)
		}
		var b bytes.Buffer
		if err := WriteQrels(&b, q); err != nil {
			t.Fatal(err)
		}
		again, _, err := ReadQrels(&b, "again", nil, nil, Options{})
		if err != nil || !reflect.DeepEqual(again, q) {
			t.Fatalf("%q: read back: %v\n%v\n%v", in, err, q, again)
		}
	})
}

// FuzzTrainExamples reads any input as Tevatron training JSONL. Accepted
// examples have a query id, a query, positives, and a docid on every
// passage, and read back the same from WriteTrainExamples' output.
func FuzzTrainExamples(f *testing.F) {
	for _, s := range []string{
		`{"query_id": "1", "query": "q", "positive_passages": [{"docid": "d", "title": "t", "text": "x"}], "negative_passages": [{"docid": "e", "text": "y", "score": 0.5}]}`,
		`{"query_id": "1", "query": "q", "positive_passages": [{"docid": "d"}]}` + "\n\n" + `{"query_id": "2", "query": "r", "positive_passages": [{"docid": "d"}], "negative_passages": null}`,
		`{"query_id": "1", "query": "q", "positive_passages": []}`, `{"query_id": 1, "query": "q"}`,
		`{"query_id": "1", "query": "q", "positive_passages": [{"docid": ""}]}`, `{"query_id": "1",`, "[]", "\xff",
		`{"query_id": "1", "query": "q", "positive_passages": [{"docid": "d", "score": "high"}]}`,
		`{"query_id": "1", "query": "q", "positive_passages": {"docid": "d"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ex, st, err := ReadTrainExamples(strings.NewReader(in), "train.jsonl", Options{})
		if err != nil {
			checkLineError(t, in, "train.jsonl", err)
			return
		}
		if st.Kept != len(ex) {
			t.Fatalf("%q: kept %d of %d", in, st.Kept, len(ex))
		}
		for _, e := range ex {
			if e.QueryID == "" || e.Query == "" || len(e.Positives) == 0 {
				t.Fatalf("%q: accepted %+v", in, e)
			}
			for _, p := range append(append([]Passage(nil), e.Positives...), e.Negatives...) {
				if p.DocID == "" {
					t.Fatalf("%q: accepted a passage without a docid: %+v", in, e)
				}
			}
		}
		var b bytes.Buffer
		if err := WriteTrainExamples(&b, ex); err != nil {
			t.Fatalf("%q: writing accepted examples: %v", in, err)
		}
		again, _, err := ReadTrainExamples(&b, "again", Options{})
		if err != nil || !reflect.DeepEqual(again, ex) {
			t.Fatalf("%q: read back: %v\n%+v\n%+v", in, err, ex, again)
		}
	})
}
