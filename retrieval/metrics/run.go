package metrics

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ReadRun reads a TREC run file, one retrieved document per line:
//
//	qid Q0 docid rank score tag
//
// Fields are separated by white space; blank lines are skipped. The Q0 and
// tag fields are ignored, and so is rank once checked to be an integer:
// evaluation ranks by score, as trec_eval does. The results of each query
// keep the file's order. A document listed twice for one query is an error,
// as it is for trec_eval, and so is a score that is not a number (NaN). Errors
// are *LineError values naming name, the line and the field.
func ReadRun(r io.Reader, name string) (Run, error) {
	run, _, err := readRun(r, name, false)
	return run, err
}

// ReadRunLines is ReadRun that also returns, for each query, the line of
// the file each of its results came from (lines[qid][i] is the line of
// run[qid][i]), so that a later check of a result can name its line.
func ReadRunLines(r io.Reader, name string) (run Run, lines map[string][]int, err error) {
	return readRun(r, name, true)
}

// Candidates returns the results run holds for each of qids as document
// numbers (num gives a document id's number), in trec_eval's ranking
// order (RankOrder): another system's candidates, ready to rerank. A
// document num does not know is a *LineError naming name and the
// result's line (lines from ReadRunLines; nil: line 0).
func Candidates(run Run, lines map[string][]int, name string, qids []string, num func(docID string) (int, bool)) ([][]int, error) {
	out := make([][]int, len(qids))
	for i, qid := range qids {
		res := run[qid]
		order := make([]int, len(res))
		for j := range order {
			order[j] = j
		}
		slices.SortFunc(order, func(a, b int) int { return rankOrder(res[a], res[b]) })
		docs := make([]int, len(res))
		for j, o := range order {
			n, ok := num(res[o].DocID)
			if !ok {
				line := 0
				if o < len(lines[qid]) {
					line = lines[qid][o]
				}
				return nil, &LineError{name, line, "docid", fmt.Errorf("document %q is not in the corpus: a run of another collection?", res[o].DocID)}
			}
			docs[j] = n
		}
		out[i] = docs
	}
	return out, nil
}

func readRun(r io.Reader, name string, withLines bool) (Run, map[string][]int, error) {
	run := make(Run)
	var lines map[string][]int
	if withLines {
		lines = make(map[string][]int)
	}
	seen := make(map[string]map[string]int) // qid → docid → line
	err := eachLine(r, name, func(line string, n int) error {
		f := strings.Fields(line)
		if len(f) == 0 {
			return nil
		}
		if len(f) != 6 {
			return &LineError{name, n, "", fmt.Errorf("want 6 fields (qid Q0 docid rank score tag), got %d", len(f))}
		}
		qid, docid := f[0], f[2]
		if _, err := strconv.Atoi(f[3]); err != nil {
			return &LineError{name, n, "rank", fmt.Errorf("not an integer: %q", f[3])}
		}
		score, err := strconv.ParseFloat(f[4], 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(score) {
			return &LineError{name, n, "score", fmt.Errorf("not a number: %q", f[4])}
		}
		docs := seen[qid]
		if docs == nil {
			docs = make(map[string]int)
			seen[qid] = docs
		}
		if first, dup := docs[docid]; dup {
			return &LineError{name, n, "docid", fmt.Errorf("document %q listed twice for query %q (first on line %d)", docid, qid, first)}
		}
		docs[docid] = n
		run[qid] = append(run[qid], Result{DocID: docid, Score: score})
		if withLines {
			lines[qid] = append(lines[qid], n)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return run, lines, nil
}

// WriteRun writes run as a TREC run file with the given tag (run id).
//
// Queries are written in order of their ids, numerically for ids made only
// of digits ("2" before "10"), which come first, then by bytes. Each query's
// results are written in trec_eval's ranking order, ranks from 1.
//
// Scores are rounded to float32 and written with the fewest digits that
// parse back to the same float32 (strconv's shortest form), and the ranking
// order is computed on the rounded scores. Read as float64, as ReadRun and
// trec_eval do, such a decimal may differ from the float32 in its last bits,
// but distinct float32 values stay distinct and in the same order, and equal
// ones stay equal, so the file's ranks are those trec_eval computes from it.
// Scores that differ only beyond float32 precision tie in the file, so
// Evaluate on a run read back from the file can differ from Evaluate on a
// float64 run that has such scores.
//
// Ids and the tag must be non-empty and free of white space, a document may
// appear once per query, and scores must not be NaN; all of this is checked
// before anything is written.
func WriteRun(w io.Writer, run Run, tag string) error {
	if tag == "" || hasSpace(tag) {
		return fmt.Errorf("metrics: write run: bad tag %q: want a non-empty word without white space", tag)
	}
	qids := sortedQueryIDs(run)
	rows := make([][]Result, len(qids))
	for i, qid := range qids {
		rs, err := writeOrder(qid, run[qid])
		if err != nil {
			return fmt.Errorf("metrics: write run: %w", err)
		}
		rows[i] = rs
	}
	bw := bufio.NewWriter(w)
	var buf []byte
	for i, qid := range qids {
		for j, r := range rows[i] {
			buf = buf[:0]
			buf = append(buf, qid...)
			buf = append(buf, " Q0 "...)
			buf = append(buf, r.DocID...)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(j+1), 10)
			buf = append(buf, ' ')
			buf = strconv.AppendFloat(buf, r.Score, 'g', -1, 32)
			buf = append(buf, ' ')
			buf = append(buf, tag...)
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("metrics: write run: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("metrics: write run: %w", err)
	}
	return nil
}

// writeOrder checks one query's results for WriteRun and returns them with
// scores rounded to float32, in ranking order.
func writeOrder(qid string, results []Result) ([]Result, error) {
	if qid == "" || hasSpace(qid) {
		return nil, fmt.Errorf("bad query id %q: want a non-empty word without white space", qid)
	}
	rs := make([]Result, len(results))
	seen := make(map[string]bool, len(results))
	for i, r := range results {
		if r.DocID == "" || hasSpace(r.DocID) {
			return nil, fmt.Errorf("query %q: bad document id %q: want a non-empty word without white space", qid, r.DocID)
		}
		if math.IsNaN(r.Score) {
			return nil, fmt.Errorf("query %q: document %q has a NaN score", qid, r.DocID)
		}
		if seen[r.DocID] {
			return nil, fmt.Errorf("query %q: document %q listed twice", qid, r.DocID)
		}
		seen[r.DocID] = true
		rs[i] = Result{r.DocID, float64(float32(r.Score))}
	}
	slices.SortFunc(rs, rankOrder)
	return rs, nil
}

// IsRunID reports whether id can stand as a query or document id in a
// TREC run (WriteRun): non-empty and free of white space. Commands that
// write runs check their collection's ids with it before any work.
func IsRunID(id string) bool { return id != "" && !hasSpace(id) }
