package beir

import (
	"strings"
	"testing"
)

func TestReadTopics(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []Query
		err        string
	}{
		{"t.tsv", "q1\tflow over a wing\n\nq2\t  shock waves \r\n", []Query{{"q1", "flow over a wing"}, {"q2", "shock waves"}}, ""},
		{"t.jsonl", `{"_id": "a", "text": "heat transfer"}` + "\n", []Query{{"a", "heat transfer"}}, ""},
		{"t.txt", ` {"_id": "b", "text": "lift"}`, []Query{{"b", "lift"}}, ""},
		{"t.tsv", "q1 no tab\n", nil, "t.tsv:1: want qid<TAB>text"},
		{"t.tsv", "q1\tx\n\tno id\n", nil, "t.tsv:2: field qid: empty"},
		{"t.tsv", "q1\t \n", nil, "t.tsv:1: field text: empty"},
		{"t.tsv", "q1\tx\nq1\ty\n", nil, `t.tsv:2: field qid: "q1" already on line 1`},
		{"t.tsv", "\n\n", nil, "t.tsv: no queries"},
	} {
		got, err := ReadTopics([]byte(c.data), c.name)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want an error containing %q", c.data, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("%q: %v %v, want %v", c.data, got, err, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: query %d is %+v, want %+v", c.data, i, got[i], c.want[i])
			}
		}
	}
}

func TestRead(t *testing.T) {
	d, err := Read("cranfield", Options{})
	if err != nil || d.Corpus.Len() != 1400 || d.Queries.Len() != 225 {
		t.Fatalf("Read(cranfield): %v", err)
	}
	if _, err := Read("cranfeld", Options{}); err == nil || !strings.Contains(err.Error(), "cranfield") {
		t.Fatalf("Read(cranfeld): %v, want an error listing the collections", err)
	}
}

func TestSnippet(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"  a \n b\tc ", 10, "a b c"}, {"abcdefghij", 5, "abcd…"}, {"abcde", 5, "abcde"}, {"héllo wörld", 4, "hél…"}} {
		if got := Snippet(c.in, c.n); got != c.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
