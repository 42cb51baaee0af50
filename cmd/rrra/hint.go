package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/rrra/rrra/retrieval/datasets"
)

// A hintError is an error with one line of advice (a "did you mean"), which
// run prints on its own line after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// editDistance returns the optimal-string-alignment distance between a and
// b (Levenshtein's insertions, deletions and substitutions, plus the
// transposition of two adjacent characters), counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows: the one before the previous (for transpositions), the
	// previous and the current.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// closest returns the candidates nearest to typed (ignoring case), or none
// when even the nearest is too far to be a typo: more than a third of the
// typed name's length away (at least 1, at most 3 edits), or as far as the
// length of either name (a one-letter name is never "close" to another).
// Candidates at the same distance are all returned, in the order given.
func closest(typed string, candidates []string) []string {
	t := strings.ToLower(typed)
	limit := min(max(len([]rune(t))/3, 1), 3)
	best, out := limit+1, []string(nil)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(t, lc)
		if d >= len([]rune(t)) || d >= len([]rune(lc)) || d > best {
			continue
		}
		if d < best {
			best, out = d, out[:0]
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// didYouMean formats a suggestion: "did you mean X?", "did you mean X or
// Y?", or "" when there are none. prefix is written before each name (as
// "--" for flags).
func didYouMean(prefix string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = prefix + n
	}
	return "did you mean " + strings.Join(q, " or ") + "?"
}

// flagHint returns the one line printed after a flag error of fs: a
// suggestion for an undefined flag that is close to a defined one, and in
// every case where the full list of flags is.
func flagHint(fs *flag.FlagSet, err error) string {
	more := fmt.Sprintf("%s -h lists the flags", fs.Name())
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return more
	}
	name = strings.TrimLeft(name, "-")
	var defined []string
	fs.VisitAll(func(f *flag.Flag) { defined = append(defined, f.Name) })
	if s := didYouMean("--", closest(name, defined)); s != "" {
		return s + " (" + more + ")"
	}
	return more
}

// commandHint returns the line printed after an unknown command name.
func commandHint(name string) string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	names = append(names, "help")
	if s := didYouMean("", closest(name, names)); s != "" {
		return s + " (rrra help lists the commands)"
	}
	return "rrra help lists the commands"
}

// collectionHint wraps err, the failure to open spec as a BEIR folder, with
// a suggestion when spec is close to the name of an embedded collection.
func collectionHint(spec string, err error) error {
	if s := didYouMean("", closest(spec, datasets.Names())); s != "" {
		return &hintError{err, s}
	}
	return err
}

// hintOf returns err's hint line, or "" when it has none.
func hintOf(err error) string {
	var h *hintError
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}
