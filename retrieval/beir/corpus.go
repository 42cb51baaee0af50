package beir

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// A Doc is one corpus document.
type Doc struct {
	ID    string
	Title string
	Text  string
}

// Joined returns the title and text joined by one space, or the text alone
// when the title is empty: the convention BEIR's dense models use to encode a
// document, and what `rrra encode` does with a "title" field.
func (d *Doc) Joined() string {
	switch {
	case d.Title == "":
		return d.Text
	case d.Text == "":
		return d.Title
	}
	return d.Title + " " + d.Text
}

// A Corpus is a collection's documents in file order, with a lookup by id.
type Corpus struct {
	Docs []Doc
	ids  map[string]int
}

// NewCorpus returns a corpus of docs, which must have distinct, non-empty ids.
func NewCorpus(docs []Doc) (*Corpus, error) {
	ids, err := indexIDs(len(docs), func(i int) string { return docs[i].ID }, "document", "documents")
	if err != nil {
		return nil, err
	}
	return &Corpus{Docs: docs, ids: ids}, nil
}

// indexIDs maps n ids, given by id(i), to their positions; they must be
// distinct and non-empty. one and many name an item in errors.
func indexIDs(n int, id func(int) string, one, many string) (map[string]int, error) {
	ids := make(map[string]int, n)
	for i := 0; i < n; i++ {
		x := id(i)
		if x == "" {
			return nil, fmt.Errorf("beir: %s %d has an empty id", one, i)
		}
		if j, dup := ids[x]; dup {
			return nil, fmt.Errorf("beir: %s %d and %d share the id %q", many, j, i, x)
		}
		ids[x] = i
	}
	return ids, nil
}

// Len returns the number of documents.
func (c *Corpus) Len() int { return len(c.Docs) }

// Index returns the position of the document with the given id.
func (c *Corpus) Index(id string) (int, bool) {
	i, ok := c.ids[id]
	return i, ok
}

// ReadCorpus reads a BEIR corpus.jsonl from r; name is the file's name for
// errors and Stats.
func ReadCorpus(r io.Reader, name string, opts Options) (*Corpus, *Stats, error) {
	st := &Stats{File: name}
	c := &Corpus{ids: make(map[string]int)}
	err := scanJSONL(r, name, &opts, st, func(rw *row) error {
		if reason, err := checkRow(rw, name, c.ids, "document", false); err != nil {
			return st.bad(&opts, reason, err)
		}
		if rw.title == "" && rw.text == "" {
			st.Empty++
		}
		c.ids[rw.id] = len(c.Docs)
		c.Docs = append(c.Docs, Doc{ID: rw.id, Title: rw.title, Text: rw.text})
		st.Kept++
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return c, st, nil
}

// checkRow checks a corpus or queries row: a non-empty "_id" not seen
// before (one names the item in the message), a "text" field, and, when
// needText, a non-empty one. It returns the reason for Stats and the error.
func checkRow(rw *row, name string, seen map[string]int, one string, needText bool) (string, *LineError) {
	bad := func(field string, err error) *LineError {
		return &LineError{File: name, Line: rw.line, Field: field, Err: err}
	}
	switch {
	case !rw.hasID:
		return "bad field _id", bad("_id", errors.New("missing"))
	case rw.id == "":
		return "bad field _id", bad("_id", errors.New("empty"))
	case !rw.hasText:
		return "missing text", bad("text", errors.New("missing"))
	case needText && rw.text == "":
		return "empty text", bad("text", errors.New("empty"))
	}
	if first, dup := seen[rw.id]; dup {
		return "duplicate _id", bad("_id", fmt.Errorf("duplicate id %q (first seen in %s %d)", rw.id, one, first+1))
	}
	return "", nil
}

// A Query is one query.
type Query struct {
	ID   string
	Text string
}

// Queries are a collection's queries in file order, with a lookup by id.
type Queries struct {
	List []Query
	ids  map[string]int
}

// NewQueries returns queries made of list, which must have distinct,
// non-empty ids.
func NewQueries(list []Query) (*Queries, error) {
	ids, err := indexIDs(len(list), func(i int) string { return list[i].ID }, "query", "queries")
	if err != nil {
		return nil, err
	}
	return &Queries{List: list, ids: ids}, nil
}

// Len returns the number of queries.
func (q *Queries) Len() int { return len(q.List) }

// Index returns the position of the query with the given id.
func (q *Queries) Index(id string) (int, bool) {
	i, ok := q.ids[id]
	return i, ok
}

// ReadQueries reads a BEIR queries.jsonl from r; name is the file's name for
// errors and Stats. A query must have a non-empty "text".
func ReadQueries(r io.Reader, name string, opts Options) (*Queries, *Stats, error) {
	st := &Stats{File: name}
	q := &Queries{ids: make(map[string]int)}
	err := scanJSONL(r, name, &opts, st, func(rw *row) error {
		if reason, err := checkRow(rw, name, q.ids, "query", true); err != nil {
			return st.bad(&opts, reason, err)
		}
		q.ids[rw.id] = len(q.List)
		q.List = append(q.List, Query{ID: rw.id, Text: rw.text})
		st.Kept++
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return q, st, nil
}

// Snippet returns s on one line (runs of white space made one space), cut
// to n runes with an ellipsis: a document's text for a result list or a
// report.
func Snippet(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:max(n-1, 0)]) + "…"
}
