package beir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Qrels are relevance judgments: query id → document id → graded score.
// Package retrieval/metrics evaluates runs against them.
type Qrels = map[string]map[string]int

// maxQrelsLine bounds a qrels line, so that a file without line breaks
// cannot make ReadQrels hold it whole.
const maxQrelsLine = 16 << 20

// qrelsHeader is the header BEIR writes on every qrels file.
var qrelsHeader = []string{"query-id", "corpus-id", "score"}

// ReadQrels reads a BEIR qrels TSV from r; name is the file's name for
// errors and Stats. The first non-blank line must be the header
// "query-id<TAB>corpus-id<TAB>score"; every other non-blank line has three
// tab-separated fields, the last an integer. When queries or corpus is not
// nil, a row naming a query or document they do not hold is bad input. A
// pair judged twice is bad input, even with the same score.
func ReadQrels(r io.Reader, name string, queries *Queries, corpus *Corpus, opts Options) (Qrels, *Stats, error) {
	st := &Stats{File: name}
	q := make(Qrels)
	r, err := skipBOM(r, name)
	if err != nil {
		return nil, st, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxQrelsLine)
	header := false
	line := 0
	for sc.Scan() {
		line++
		st.Lines++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		bad := func(field, reason string, err error) error {
			return st.bad(&opts, reason, &LineError{File: name, Line: line, Field: field, Err: err})
		}
		if !utf8.ValidString(text) {
			if err := bad("", "invalid UTF-8", errors.New("invalid UTF-8")); err != nil {
				return nil, st, err
			}
			continue
		}
		f := strings.Split(text, "\t")
		if !header {
			if len(f) != 3 || f[0] != qrelsHeader[0] || f[1] != qrelsHeader[1] || f[2] != qrelsHeader[2] {
				// A missing header loses the first judgment or misreads the
				// file, so it is never skipped.
				return nil, st, &LineError{File: name, Line: line,
					Err: fmt.Errorf("want the header %q, have %q", strings.Join(qrelsHeader, "\t"), text)}
			}
			header = true
			continue
		}
		if len(f) != 3 {
			if err := bad("", "wrong field count", fmt.Errorf("want 3 tab-separated fields, have %d", len(f))); err != nil {
				return nil, st, err
			}
			continue
		}
		qid, did := f[0], f[1]
		score, err := strconv.Atoi(strings.TrimSpace(f[2]))
		var lerr error
		switch {
		case qid == "":
			lerr = bad("query-id", "empty query-id", errors.New("empty"))
		case did == "":
			lerr = bad("corpus-id", "empty corpus-id", errors.New("empty"))
		case err != nil:
			lerr = bad("score", "bad score", fmt.Errorf("want an integer, have %q", f[2]))
		case queries != nil && !has(queries.ids, qid):
			lerr = bad("query-id", "unknown query", fmt.Errorf("no query %q in the queries file", qid))
		case corpus != nil && !has(corpus.ids, did):
			lerr = bad("corpus-id", "unknown document", fmt.Errorf("no document %q in the corpus", did))
		case q[qid] != nil && has(q[qid], did):
			lerr = bad("corpus-id", "duplicate pair", fmt.Errorf("query %q and document %q are judged twice", qid, did))
		default:
			if q[qid] == nil {
				q[qid] = make(map[string]int)
			}
			q[qid][did] = score
			st.Kept++
			continue
		}
		if lerr != nil {
			return nil, st, lerr
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than the %d-byte limit: %w", maxQrelsLine, err)
		}
		return nil, st, &LineError{File: name, Line: line + 1, Err: err}
	}
	if !header {
		return nil, st, &LineError{File: name, Line: line + 1,
			Err: fmt.Errorf("no header %q: the file is empty", strings.Join(qrelsHeader, "\t"))}
	}
	return q, st, nil
}

func has(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// WriteQrels writes q as a BEIR qrels TSV, header first, queries and their
// documents ordered by id (numerically where both ids are integers).
func WriteQrels(w io.Writer, q Qrels) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\n", strings.Join(qrelsHeader, "\t"))
	for _, qid := range sortedKeys(q) {
		docs := q[qid]
		for _, did := range sortedKeys(docs) {
			fmt.Fprintf(bw, "%s\t%s\t%d\n", qid, did, docs[did])
		}
	}
	return bw.Flush()
}
