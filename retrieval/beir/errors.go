package beir

import (
	"fmt"
	"sort"
	"strings"
)

// A LineError reports bad input at one line of one file.
type LineError struct {
	File  string // the file's name as given to the reader
	Line  int    // 1-based line number
	Field string // the JSON field or TSV column at fault; empty for the whole line
	Err   error  // what is wrong
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: field %q: %v", e.File, e.Line, e.Field, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Stats counts what a reader kept and skipped.
type Stats struct {
	File    string         // the file's name
	Lines   int            // lines read, blank lines included
	Kept    int            // rows kept
	Empty   int            // corpus documents kept with an empty title and text
	Skipped map[string]int // lines skipped under Options.SkipBadLines, by reason
	// LongestLine is the longest line read, in bytes without its line
	// break (MaxLineBytes+1 for one over the limit): what sizes the
	// reader's buffers (ReadMemory).
	LongestLine int
}

// SkippedTotal returns the number of lines skipped for any reason.
func (s *Stats) SkippedTotal() int {
	n := 0
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// String summarises s on one line, for logs.
func (s *Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows kept", s.File, s.Kept)
	if s.Empty > 0 {
		fmt.Fprintf(&b, ", %d empty", s.Empty)
	}
	if len(s.Skipped) > 0 {
		reasons := make([]string, 0, len(s.Skipped))
		for r := range s.Skipped {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, ", %d skipped (", s.SkippedTotal())
		for i, r := range reasons {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: %d", r, s.Skipped[r])
		}
		b.WriteString(")")
	}
	return b.String()
}

// bad handles one bad line: an error, or a counted skip when skipping.
func (s *Stats) bad(opts *Options, reason string, err *LineError) error {
	if !opts.SkipBadLines {
		return err
	}
	if s.Skipped == nil {
		s.Skipped = make(map[string]int)
	}
	s.Skipped[reason]++
	return nil
}
