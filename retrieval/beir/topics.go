package beir

import (
	"bytes"
	"fmt"
	"strings"
)

// ReadTopics reads ad-hoc queries from data, the contents of the file
// called name: a BEIR queries.jsonl (a name ending in .jsonl, or data
// whose first non-blank character is "{"), or lines "qid<TAB>text"
// (blank lines skipped, ids unique). Errors name the file, the line and
// the field.
func ReadTopics(data []byte, name string) ([]Query, error) {
	var out []Query
	if strings.HasSuffix(name, ".jsonl") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		q, _, err := ReadQueries(bytes.NewReader(data), name, Options{})
		if err != nil {
			return nil, err
		}
		out = q.List
	} else {
		line := make(map[string]int) // qid → line
		for n, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSuffix(l, "\r")
			if strings.TrimSpace(l) == "" {
				continue
			}
			id, text, ok := strings.Cut(l, "\t")
			id, text = strings.TrimSpace(id), strings.TrimSpace(text)
			switch {
			case !ok:
				return nil, fmt.Errorf("%s:%d: want qid<TAB>text, found no tab", name, n+1)
			case id == "":
				return nil, fmt.Errorf("%s:%d: field qid: empty", name, n+1)
			case text == "":
				return nil, fmt.Errorf("%s:%d: field text: empty (query %q)", name, n+1, id)
			case line[id] > 0:
				return nil, fmt.Errorf("%s:%d: field qid: %q already on line %d", name, n+1, id, line[id])
			}
			line[id] = n + 1
			out = append(out, Query{ID: id, Text: text})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no queries", name)
	}
	return out, nil
}
