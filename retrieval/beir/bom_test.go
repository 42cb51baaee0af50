package beir

import (
	"reflect"
	"strings"
	"testing"
)

// TestByteOrderMark checks every BEIR reader reads a file that starts with
// a UTF-8 byte-order mark as the same file without it (the mark used to
// make line 1 invalid JSON, or, with bad lines skipped, drop the first
// document), and refuses a UTF-16 or UTF-32 file by name and mark.
func TestByteOrderMark(t *testing.T) {
	corpus := `{"_id": "d1", "text": "lift on a wing"}` + "\n" + `{"_id": "d2", "text": "heat"}` + "\n"
	queries := `{"_id": "q1", "text": "wing lift"}` + "\n"
	qrels := "query-id\tcorpus-id\tscore\nq1\td1\t1\n"
	train := `{"query_id": "q1", "query": "wing", "positive_passages": [{"docid": "d1", "text": "lift"}], "negative_passages": []}` + "\n"
	readers := []struct {
		name string
		data string
		read func(text string) (any, error)
	}{
		{"corpus", corpus, func(text string) (any, error) {
			c, _, err := ReadCorpus(strings.NewReader(text), "corpus.jsonl", Options{})
			if err != nil {
				return nil, err
			}
			return c.Docs, nil
		}},
		{"corpus, bad lines skipped", corpus, func(text string) (any, error) {
			c, _, err := ReadCorpus(strings.NewReader(text), "corpus.jsonl", Options{SkipBadLines: true})
			if err != nil {
				return nil, err
			}
			return c.Docs, nil
		}},
		{"queries", queries, func(text string) (any, error) {
			q, _, err := ReadQueries(strings.NewReader(text), "queries.jsonl", Options{})
			if err != nil {
				return nil, err
			}
			return q.List, nil
		}},
		{"qrels", qrels, func(text string) (any, error) {
			q, _, err := ReadQrels(strings.NewReader(text), "test.tsv", nil, nil, Options{})
			return q, err
		}},
		{"training examples", train, func(text string) (any, error) {
			ex, _, err := ReadTrainExamples(strings.NewReader(text), "train.jsonl", Options{})
			return ex, err
		}},
		{"text rows", corpus, func(text string) (any, error) {
			var all []string
			_, err := ReadTextRows(strings.NewReader(text), "rows.jsonl", 8, func(texts []string) error {
				all = append(all, texts...)
				return nil
			})
			return all, err
		}},
	}
	for _, r := range readers {
		want, err := r.read(r.data)
		if err != nil {
			t.Fatalf("%s without a mark: %v", r.name, err)
		}
		got, err := r.read("\xEF\xBB\xBF" + r.data)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s with a UTF-8 mark: %v, %v; want %v as without", r.name, got, err, want)
		}
		for _, m := range []struct{ mark, name string }{
			{"\xFF\xFE", "UTF-16 (little-endian)"}, {"\xFE\xFF", "UTF-16 (big-endian)"}, {"\xFF\xFE\x00\x00", "UTF-32 (little-endian)"},
		} {
			_, err := r.read(m.mark + r.data)
			if err == nil || !strings.Contains(err.Error(), ":1: the file starts with a "+m.name+" byte-order mark") {
				t.Errorf("%s with a %s mark: %v; want it refused, naming the mark", r.name, m.name, err)
			}
		}
	}
}
