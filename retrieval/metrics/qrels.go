package metrics

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadQrels reads relevance judgments in either of two formats, chosen by the
// first non-blank line:
//
//   - BEIR TSV: if that line is the header "query-id<TAB>corpus-id<TAB>score",
//     or if it has exactly three tab-separated columns (a header-less BEIR
//     file), every line must have three tab-separated columns: query id,
//     document id, integer score (white space around a column is dropped);
//   - TREC qrels otherwise: four white-space-separated fields "qid iter docid
//     rel", where iter is ignored and rel is an integer.
//
// Blank lines are skipped. A (query, document) pair judged twice is an error,
// as it is for trec_eval. Judgments of 0 or less are kept: they make their
// query part of the qrels even when it has no relevant document. Errors are
// *LineError values naming name, the line and the field.
func ReadQrels(r io.Reader, name string) (Qrels, error) {
	qrels := make(Qrels)
	lines := make(map[string]map[string]int) // qid → docid → line
	const (
		unknown = iota
		beir
		trec
	)
	format := unknown
	beirHeader := [3]string{"query-id", "corpus-id", "score"}
	var fields [3]string // column names of the format, for errors
	err := eachLine(r, name, func(line string, n int) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		if format == unknown {
			cols := strings.Split(line, "\t")
			switch {
			case len(cols) == 3 && [3]string(cols) == beirHeader:
				format, fields = beir, beirHeader
				return nil
			case len(cols) == 3:
				format, fields = beir, beirHeader
			default:
				format, fields = trec, [3]string{"qid", "docid", "rel"}
			}
		}
		var qid, docid, rel string
		if format == beir {
			cols := strings.Split(line, "\t")
			if len(cols) != 3 {
				return &LineError{name, n, "", fmt.Errorf("want 3 tab-separated columns (query-id, corpus-id, score), got %d", len(cols))}
			}
			qid, docid, rel = strings.TrimSpace(cols[0]), strings.TrimSpace(cols[1]), cols[2]
		} else {
			f := strings.Fields(line)
			if len(f) != 4 {
				return &LineError{name, n, "", fmt.Errorf("want 4 fields (qid iter docid rel), got %d", len(f))}
			}
			qid, docid, rel = f[0], f[2], f[3]
		}
		if qid == "" {
			return &LineError{name, n, fields[0], fmt.Errorf("empty")}
		}
		if docid == "" {
			return &LineError{name, n, fields[1], fmt.Errorf("empty")}
		}
		v, err := strconv.Atoi(strings.TrimSpace(rel))
		if err != nil {
			return &LineError{name, n, fields[2], fmt.Errorf("not an integer: %q", rel)}
		}
		docs := qrels[qid]
		if docs == nil {
			docs = make(map[string]int)
			qrels[qid] = docs
			lines[qid] = make(map[string]int)
		}
		if first, dup := lines[qid][docid]; dup {
			return &LineError{name, n, fields[1], fmt.Errorf("document %q judged twice for query %q (first on line %d)", docid, qid, first)}
		}
		lines[qid][docid] = n
		docs[docid] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return qrels, nil
}
