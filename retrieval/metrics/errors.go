package metrics

import (
	"errors"
	"fmt"
)

// A LineError reports bad input at one line of one file.
type LineError struct {
	File  string // the file's name as given to the reader
	Line  int    // 1-based line number
	Field string // the column at fault; empty when the whole line is
	Err   error  // what is wrong
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: field %s: %v", e.File, e.Line, e.Field, e.Err)
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// ErrNoQueries is returned by Evaluate when no query can be averaged over:
// none of the qrels' queries has results in the run (or, with
// Options.Complete, the qrels are empty). trec_eval fails in the same case.
var ErrNoQueries = errors.New("metrics: no query has both judgments and results")
