package beir

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parsers are the JSON paths every reader test runs through.
func parsers(t testing.TB) []Parser {
	if !SIMDSupported() {
		t.Logf("simdjson-go is not supported on this CPU: testing encoding/json only")
		return []Parser{ParserStdlib}
	}
	return []Parser{ParserSIMD, ParserStdlib}
}

func TestEmbeddedCollections(t *testing.T) {
	type split struct {
		name            string
		queries, judged int
	}
	for _, tc := range []struct {
		name            string
		docs, empty, qs int
		splits          []split
	}{
		{"cranfield", 1400, 2, 225, []split{{"test", 90, 660}, {"train", 135, 952}}},
		{"scifact", 5183, 0, 1109, []split{{"test", 300, 339}, {"train", 809, 919}}},
	} {
		var first *Dataset
		for _, p := range parsers(t) {
			fsys, name, err := Open(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Load(fsys, name, Options{Parser: p})
			if err != nil {
				t.Fatalf("%s/%v: %v", tc.name, p, err)
			}
			if d.Corpus.Len() != tc.docs || d.Queries.Len() != tc.qs || d.Stats[0].Empty != tc.empty {
				t.Errorf("%s/%v: %d docs (%d empty), %d queries; want %d (%d), %d",
					tc.name, p, d.Corpus.Len(), d.Stats[0].Empty, d.Queries.Len(), tc.docs, tc.empty, tc.qs)
			}
			var names []string
			for _, s := range tc.splits {
				names = append(names, s.name)
				q, _, err := d.Qrels(s.name)
				if err != nil {
					t.Fatalf("%s/%v: %v", tc.name, p, err)
				}
				n := 0
				for _, docs := range q {
					n += len(docs)
				}
				if len(q) != s.queries || n != s.judged || len(d.SplitQueries(q)) != s.queries {
					t.Errorf("%s/%v %s: %d queries, %d judgments; want %d, %d", tc.name, p, s.name, len(q), n, s.queries, s.judged)
				}
			}
			if !reflect.DeepEqual(d.Splits(), names) {
				t.Errorf("%s: splits %v, want %v", tc.name, d.Splits(), names)
			}
			if first == nil {
				first = d
			} else if !reflect.DeepEqual(first.Corpus.Docs, d.Corpus.Docs) || !reflect.DeepEqual(first.Queries.List, d.Queries.List) {
				t.Errorf("%s: simdjson and encoding/json read different rows", tc.name)
			}
		}
		if i, ok := first.Corpus.Index("1"); tc.name == "cranfield" && (!ok || !strings.HasPrefix(first.Corpus.Docs[i].Title, "experimental investigation of the aerodynamics")) {
			t.Errorf("cranfield document 1: %+v", first.Corpus.Docs[i])
		}
	}
	if _, _, err := Open("no-such-collection"); err == nil {
		t.Error("Open of an unknown collection succeeded")
	}
}

// TestCorpusErrors feeds each kind of bad line through both parsers and
// checks the error names the file, line and field, and that
// SkipBadLines keeps every other row and counts the skip.
func TestCorpusErrors(t *testing.T) {
	good1 := `{"_id": "a", "title": "T", "text": "first"}`
	good2 := `{"_id": "b", "text": "second", "metadata": {"x": [1, 2]}}`
	for _, tc := range []struct {
		name, line string
		want       string // substring of the error after "corpus.jsonl:2: "
		reason     string
	}{
		{"bad JSON", `{"_id": "x", "text": }`, "invalid JSON", "invalid JSON"},
		{"truncated", `{"_id": "x", "text": "abc`, "invalid JSON", "invalid JSON"},
		{"id number", `{"_id": 7, "text": "abc"}`, `field "_id": want a string, have number`, "bad field _id"},
		{"text array", `{"_id": "x", "text": ["abc"]}`, `field "text": want a string, have array`, "bad field text"},
		{"title object", `{"_id": "x", "title": {}, "text": "abc"}`, `field "title": want a string, have object`, "bad field title"},
		{"text bool", `{"_id": "x", "text": true}`, `field "text": want a string, have bool`, "bad field text"},
		{"missing id", `{"text": "abc"}`, `field "_id": missing`, "bad field _id"},
		{"null id", `{"_id": null, "text": "abc"}`, `field "_id": missing`, "bad field _id"},
		{"empty id", `{"_id": "", "text": "abc"}`, `field "_id": empty`, "bad field _id"},
		{"missing text", `{"_id": "x", "title": "abc"}`, `field "text": missing`, "missing text"},
		{"duplicate id", `{"_id": "a", "text": "again"}`, `field "_id": duplicate id "a"`, "duplicate _id"},
		{"array", `["_id", "x"]`, "not a JSON object (have array)", "not a JSON object"},
		{"string", `"x"`, "not a JSON object (have string)", "not a JSON object"},
		{"two objects", `{"_id": "x", "text": "a"} {"_id": "y", "text": "b"}`, "invalid JSON", "invalid JSON"},
		{"invalid UTF-8", "{\"_id\": \"x\", \"text\": \"caf\xe9\"}", "invalid UTF-8 at byte 26", "invalid UTF-8"},
	} {
		for _, p := range parsers(t) {
			in := good1 + "\n" + tc.line + "\n\n" + good2 + "\n"
			_, _, err := ReadCorpus(strings.NewReader(in), "corpus.jsonl", Options{Parser: p})
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "corpus.jsonl:2: "+tc.want) {
				t.Errorf("%s/%v: error %v, want corpus.jsonl:2: %s", tc.name, p, err, tc.want)
			}
			c, st, err := ReadCorpus(strings.NewReader(in), "corpus.jsonl", Options{Parser: p, SkipBadLines: true})
			if err != nil {
				t.Errorf("%s/%v: skipping: %v", tc.name, p, err)
				continue
			}
			if c.Len() != 2 || c.Docs[1].Text != "second" || st.Skipped[tc.reason] != 1 || st.SkippedTotal() != 1 || st.Lines != 4 {
				t.Errorf("%s/%v: skipping kept %+v with %+v", tc.name, p, c.Docs, st)
			}
		}
	}
}

func TestQueriesErrors(t *testing.T) {
	for _, p := range parsers(t) {
		in := "{\"_id\": \"1\", \"text\": \"what\"}\n{\"_id\": \"2\", \"text\": \"\"}\n"
		_, _, err := ReadQueries(strings.NewReader(in), "queries.jsonl", Options{Parser: p})
		if err == nil || !strings.Contains(err.Error(), `queries.jsonl:2: field "text": empty`) {
			t.Errorf("%v: empty query text: %v", p, err)
		}
		q, st, err := ReadQueries(strings.NewReader(in), "queries.jsonl", Options{Parser: p, SkipBadLines: true})
		if err != nil || q.Len() != 1 || st.Skipped["empty text"] != 1 {
			t.Errorf("%v: skipping: %v %+v", p, err, st)
		}
	}
}

// TestEmptyDocument checks the documented exception: a document with an
// empty title and text is kept and counted, not rejected.
func TestEmptyDocument(t *testing.T) {
	for _, p := range parsers(t) {
		c, st, err := ReadCorpus(strings.NewReader(`{"_id": "995", "title": "", "text": ""}`), "c", Options{Parser: p})
		if err != nil || c.Len() != 1 || st.Empty != 1 {
			t.Errorf("%v: %v %+v", p, err, st)
		}
	}
}

// TestBlocks checks line numbers and rows across block boundaries and a line
// longer than a block, with CRLF line ends and escapes, through both paths.
func TestBlocks(t *testing.T) {
	var b bytes.Buffer
	long := strings.Repeat("x", 3*blockSize/2)
	n := 0
	for b.Len() < 3*blockSize {
		n++
		switch n {
		case 7:
			fmt.Fprintf(&b, "{\"_id\": \"d%d\", \"text\": %q}\r\n", n, long)
		default:
			fmt.Fprintf(&b, "{\"_id\": \"d%d\", \"title\": \"caf\\u00e9 \\ud83d\\ude00\", \"text\": \"row %d \\\"q\\\" \\n\"}\n", n, n)
		}
	}
	badAt := n + 1
	fmt.Fprintf(&b, "{\"_id\": \"d%d\", \"text\": 3}\n", badAt)
	var ref *Corpus
	for _, p := range parsers(t) {
		_, _, err := ReadCorpus(bytes.NewReader(b.Bytes()), "big", Options{Parser: p})
		var le *LineError
		if !errors.As(err, &le) || le.Line != badAt || le.Field != "text" {
			t.Errorf("%v: error %v, want line %d field text", p, err, badAt)
		}
		c, st, err := ReadCorpus(bytes.NewReader(b.Bytes()), "big", Options{Parser: p, SkipBadLines: true})
		if err != nil || c.Len() != n || st.SkippedTotal() != 1 {
			t.Fatalf("%v: %v, %d docs, %+v", p, err, c.Len(), st)
		}
		if c.Docs[6].Text != long || c.Docs[0].Title != "café 😀" || c.Docs[0].Text != "row 1 \"q\" \n" {
			t.Errorf("%v: rows read wrong: %q %q", p, c.Docs[0].Title, c.Docs[0].Text)
		}
		if ref == nil {
			ref = c
		} else if !reflect.DeepEqual(ref.Docs, c.Docs) {
			t.Errorf("the two parsers disagree")
		}
	}
}

func TestQrelsErrors(t *testing.T) {
	queries, _ := NewQueries([]Query{{"q1", "a"}, {"q2", "b"}})
	corpus, _ := NewCorpus([]Doc{{ID: "d1", Text: "x"}, {ID: "d2", Text: "y"}})
	head := "query-id\tcorpus-id\tscore\n"
	for _, tc := range []struct {
		name, in, want, reason string
	}{
		{"no header", "q1\td1\t1\n", "q:1: want the header", ""},
		{"empty file", "", "q:1: no header", ""},
		{"fields", head + "q1\td1\n", "q:2: want 3 tab-separated fields, have 2", "wrong field count"},
		{"score", head + "q1\td1\thigh\n", `q:2: field "score": want an integer, have "high"`, "bad score"},
		{"unknown query", head + "q9\td1\t1\n", `q:2: field "query-id": no query "q9"`, "unknown query"},
		{"unknown doc", head + "q1\td9\t1\n", `q:2: field "corpus-id": no document "d9"`, "unknown document"},
		{"duplicate", head + "q1\td1\t1\nq1\td1\t2\n", `q:3: field "corpus-id": query "q1" and document "d1" are judged twice`, "duplicate pair"},
		{"empty id", head + "\td1\t1\n", `q:2: field "query-id": empty`, "empty query-id"},
	} {
		_, _, err := ReadQrels(strings.NewReader(tc.in), "q", queries, corpus, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		if tc.reason == "" {
			continue
		}
		q, st, err := ReadQrels(strings.NewReader(tc.in+"q2\td2\t1\n"), "q", queries, corpus, Options{SkipBadLines: true})
		if err != nil || q["q2"]["d2"] != 1 || st.Skipped[tc.reason] != 1 {
			t.Errorf("%s: skipping: %v %v %+v", tc.name, err, q, st)
		}
	}
	q, _, err := ReadQrels(strings.NewReader(head+"q1\td1\t2\r\n\nq1\td2\t0\n"), "q", queries, corpus, Options{})
	if err != nil || !reflect.DeepEqual(q, Qrels{"q1": {"d1": 2, "d2": 0}}) {
		t.Errorf("good qrels: %v %v", q, err)
	}
	var out bytes.Buffer
	if err := WriteQrels(&out, Qrels{"10": {"d2": 1}, "9": {"d1": 3}}); err != nil {
		t.Fatal(err)
	}
	if want := head + "9\td1\t3\n10\td2\t1\n"; out.String() != want {
		t.Errorf("WriteQrels: %q, want %q", out.String(), want)
	}
}

func TestTrainExamples(t *testing.T) {
	s := 0.5
	in := []TrainExample{
		{QueryID: "q1", Query: "what <b>", Positives: []Passage{{DocID: "d1", Title: "t", Text: "x"}},
			Negatives: []Passage{{DocID: "d2", Text: "y", Score: &s}}},
		{QueryID: "q2", Query: "why", Positives: []Passage{{DocID: "d3", Text: "z"}}},
	}
	var b bytes.Buffer
	if err := WriteTrainExamples(&b, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"query":"what <b>"`) {
		t.Errorf("HTML was escaped: %s", b.String())
	}
	out, _, err := ReadTrainExamples(&b, "train.jsonl", Options{})
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, in, out)
	}
	for _, tc := range []struct{ line, want string }{
		{`{"query": "x", "positive_passages": [{"docid": "d"}]}`, `field "query_id": missing or empty`},
		{`{"query_id": "1", "query": "x", "positive_passages": []}`, `field "positive_passages": no positive passage`},
		{`{"query_id": "1", "query": "x", "positive_passages": [{"docid": "d"}], "negative_passages": [{"text": "t"}]}`, `field "negative_passages[0].docid": missing or empty`},
		{`{"query_id": 1, "query": "x"}`, `field "query_id": want string, have number`},
		{`{"query_id": "1",`, `invalid JSON`},
	} {
		_, _, err := ReadTrainExamples(strings.NewReader("\n"+tc.line+"\n"), "train.jsonl", Options{})
		if err == nil || !strings.Contains(err.Error(), "train.jsonl:2: "+tc.want) {
			t.Errorf("%s: error %v, want %s", tc.line, err, tc.want)
		}
	}
}

// FuzzParsers checks that simdjson-go and encoding/json accept and reject
// the same lines and read the same rows.
func FuzzParsers(f *testing.F) {
	if !SIMDSupported() {
		f.Skip("simdjson-go is not supported on this CPU: nothing to compare")
	}
	for _, s := range []string{
		`{"_id": "a", "text": "x"}`, `{"_id": "a", "text": "\u00e9\ud800"}`, `{"_id": "a", "_id": "b", "text": "x"}`,
		`{"_id": "a", "text": "x", "extra": [1, {"y": null}]}`, "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\"}",
		`{"_id": "a", "text": "x"}}`, `{"_id": "a", "title": null, "text": "x"}`, "\x00", `{"_id":"a","text":"\t"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		read := func(p Parser) ([]Doc, *Stats, error) {
			c, st, err := ReadCorpus(strings.NewReader(in), "f", Options{Parser: p, SkipBadLines: true})
			if err != nil {
				return nil, st, err
			}
			return c.Docs, st, nil
		}
		a, sa, ea := read(ParserSIMD)
		b, sb, eb := read(ParserStdlib)
		if (ea == nil) != (eb == nil) || !reflect.DeepEqual(a, b) || !reflect.DeepEqual(sa, sb) {
			t.Fatalf("%q:\nsimdjson %v %+v %v\nstdlib   %v %+v %v", in, a, sa, ea, b, sb, eb)
		}
	})
}
