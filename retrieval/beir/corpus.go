package beir

import (
	"errors"
	"fmt"
	"io"
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
	c := &Corpus{Docs: docs, ids: make(map[string]int, len(docs))}
	for i, d := range docs {
		if d.ID == "" {
			return nil, fmt.Errorf("beir: document %d has an empty id", i)
		}
		if j, dup := c.ids[d.ID]; dup {
			return nil, fmt.Errorf("beir: documents %d and %d share the id %q", j, i, d.ID)
		}
		c.ids[d.ID] = i
	}
	return c, nil
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
		if err := checkID(rw, name); err != nil {
			return st.bad(&opts, reasonOf(err), err)
		}
		if !rw.hasText {
			err := &LineError{File: name, Line: rw.line, Field: "text", Err: errors.New("missing")}
			return st.bad(&opts, "missing text", err)
		}
		if first, dup := c.ids[rw.id]; dup {
			err := &LineError{File: name, Line: rw.line, Field: "_id",
				Err: fmt.Errorf("duplicate id %q (first seen in document %d)", rw.id, first+1)}
			return st.bad(&opts, "duplicate _id", err)
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

func checkID(rw *row, name string) *LineError {
	switch {
	case !rw.hasID:
		return &LineError{File: name, Line: rw.line, Field: "_id", Err: errors.New("missing")}
	case rw.id == "":
		return &LineError{File: name, Line: rw.line, Field: "_id", Err: errors.New("empty")}
	}
	return nil
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
	q := &Queries{List: list, ids: make(map[string]int, len(list))}
	for i, x := range list {
		if x.ID == "" {
			return nil, fmt.Errorf("beir: query %d has an empty id", i)
		}
		if j, dup := q.ids[x.ID]; dup {
			return nil, fmt.Errorf("beir: queries %d and %d share the id %q", j, i, x.ID)
		}
		q.ids[x.ID] = i
	}
	return q, nil
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
		if err := checkID(rw, name); err != nil {
			return st.bad(&opts, reasonOf(err), err)
		}
		if !rw.hasText {
			err := &LineError{File: name, Line: rw.line, Field: "text", Err: errors.New("missing")}
			return st.bad(&opts, "missing text", err)
		}
		if rw.text == "" {
			err := &LineError{File: name, Line: rw.line, Field: "text", Err: errors.New("empty")}
			return st.bad(&opts, "empty text", err)
		}
		if first, dup := q.ids[rw.id]; dup {
			err := &LineError{File: name, Line: rw.line, Field: "_id",
				Err: fmt.Errorf("duplicate id %q (first seen in query %d)", rw.id, first+1)}
			return st.bad(&opts, "duplicate _id", err)
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
