package beir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// A Passage is a document inside a training example.
type Passage struct {
	DocID string `json:"docid"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Score is the miner's score for the passage, when it wrote one.
	Score *float64 `json:"score,omitempty"`
}

// A TrainExample is one line of Tevatron-style training JSONL: a query, its
// positive passages and its (mined) negative passages.
type TrainExample struct {
	QueryID   string    `json:"query_id"`
	Query     string    `json:"query"`
	Positives []Passage `json:"positive_passages"`
	Negatives []Passage `json:"negative_passages"`
}

// WriteTrainExamples writes examples as Tevatron-style JSONL, one per line.
func WriteTrainExamples(w io.Writer, examples []TrainExample) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range examples {
		ex := &examples[i]
		if ex.Positives == nil {
			ex.Positives = []Passage{}
		}
		if ex.Negatives == nil {
			ex.Negatives = []Passage{}
		}
		if err := enc.Encode(ex); err != nil {
			return fmt.Errorf("beir: training example %d (query %q): %w", i, ex.QueryID, err)
		}
	}
	return bw.Flush()
}

// ReadTrainExamples reads Tevatron-style training JSONL from r; name is the
// file's name for errors. Every line needs a non-empty query_id and query
// and at least one positive passage; every passage needs a docid. Unknown
// fields are ignored. Lines are parsed with encoding/json: their nesting
// gives simdjson little to win on files this size. A line may hold at most
// MaxLineBytes; a longer one is bad input, read past (not held) when
// skipping bad lines.
func ReadTrainExamples(r io.Reader, name string, opts Options) ([]TrainExample, *Stats, error) {
	st := &Stats{File: name}
	var out []TrainExample
	r, err := skipBOM(r, name)
	if err != nil {
		return nil, st, err
	}
	lr := newLineReader(r, MaxLineBytes)
	for line := 1; ; line++ {
		b, err := lr.next()
		if err == errTooLong {
			st.Lines++
			st.LongestLine = max(st.LongestLine, MaxLineBytes+1)
			if err := st.bad(&opts, "line too long", &LineError{File: name, Line: line, Err: errLineTooLong(MaxLineBytes)}); err != nil {
				return nil, st, err
			}
			if err := lr.skip(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, st, fmt.Errorf("%s:%d: %w", name, line, err)
			}
			continue
		}
		if len(b) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, st, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		st.Lines++
		st.LongestLine = max(st.LongestLine, len(bytes.TrimSuffix(b, []byte("\n"))))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		ex, lerr := parseTrainExample(b, name, line)
		if lerr != nil {
			if err := st.bad(&opts, reasonOf(lerr), lerr); err != nil {
				return nil, st, err
			}
			continue
		}
		out = append(out, ex)
		st.Kept++
	}
	return out, st, nil
}

func parseTrainExample(b []byte, name string, line int) (TrainExample, *LineError) {
	fail := func(field string, err error) (TrainExample, *LineError) {
		return TrainExample{}, &LineError{File: name, Line: line, Field: field, Err: err}
	}
	if !utf8.Valid(b) {
		return fail("", errors.New("invalid UTF-8"))
	}
	var ex TrainExample
	if err := json.Unmarshal(b, &ex); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return fail("", fmt.Errorf("not a JSON object (have %s)", te.Value))
			}
			return fail(te.Field, fmt.Errorf("want %s, have %s", te.Type, te.Value))
		}
		return fail("", fmt.Errorf("invalid JSON: %v", err))
	}
	switch {
	case ex.QueryID == "":
		return fail("query_id", errors.New("missing or empty"))
	case ex.Query == "":
		return fail("query", errors.New("missing or empty"))
	case len(ex.Positives) == 0:
		return fail("positive_passages", errors.New("no positive passage"))
	}
	for i, p := range ex.Positives {
		if p.DocID == "" {
			return fail(fmt.Sprintf("positive_passages[%d].docid", i), errors.New("missing or empty"))
		}
	}
	for i, p := range ex.Negatives {
		if p.DocID == "" {
			return fail(fmt.Sprintf("negative_passages[%d].docid", i), errors.New("missing or empty"))
		}
	}
	return ex, nil
}
