package metrics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// WriteJSON writes r as one indented JSON object whose keys are, in order,
// the measure names (each with its summary value), "num_q" (the number of
// queries) and "per_query", an object from query id to an object from
// measure name to value. Queries are in the order WriteRun uses, measures in
// the order of r.Measures, and counts are written as integers.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("{\n")
	for _, name := range r.Measures {
		writeJSONMember(bw, "  ", name, r.Mean[name])
		bw.WriteString(",\n")
	}
	fmt.Fprintf(bw, "  \"num_q\": %d,\n  \"per_query\": {", r.NumQueries)
	for i, qid := range sortedQueryIDs(r.PerQuery) {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		writeJSONString(bw, qid)
		bw.WriteString(": {")
		for j, name := range r.Measures {
			if j > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n")
			writeJSONMember(bw, "      ", name, r.PerQuery[qid][name])
		}
		bw.WriteString("\n    }")
	}
	if len(r.PerQuery) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("}\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("metrics: write report: %w", err)
	}
	return nil
}

func writeJSONMember(bw *bufio.Writer, indent, key string, v float64) {
	bw.WriteString(indent)
	writeJSONString(bw, key)
	bw.WriteString(": ")
	if math.IsInf(v, 0) || math.IsNaN(v) { // cannot happen; keep the JSON valid anyway
		bw.WriteString("null")
		return
	}
	b, _ := json.Marshal(v)
	bw.Write(b)
}

func writeJSONString(bw *bufio.Writer, s string) {
	b, _ := json.Marshal(s)
	bw.Write(b)
}

// WriteTable writes r as trec_eval does: one line per value, the measure
// name left-aligned in 22 columns, a tab, the query id ("all" for the
// summary), a tab and the value, with 4 decimals, or as an integer for
// counts. With perQuery, every query's values come first, query by query in
// the order WriteRun uses; the summary follows, starting with num_q.
func (r *Report) WriteTable(w io.Writer, perQuery bool) error {
	bw := bufio.NewWriter(w)
	if perQuery {
		for _, qid := range sortedQueryIDs(r.PerQuery) {
			for _, name := range r.Measures {
				writeTableLine(bw, name, qid, r.PerQuery[qid][name])
			}
		}
	}
	fmt.Fprintf(bw, "%-22s\tall\t%d\n", "num_q", r.NumQueries)
	for _, name := range r.Measures {
		writeTableLine(bw, name, "all", r.Mean[name])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("metrics: write report: %w", err)
	}
	return nil
}

func writeTableLine(bw *bufio.Writer, name, qid string, v float64) {
	if m, err := parseMeasure(name); err == nil && m.summed() {
		fmt.Fprintf(bw, "%-22s\t%s\t%d\n", name, qid, int64(v))
		return
	}
	fmt.Fprintf(bw, "%-22s\t%s\t%.4f\n", name, qid, v)
}
