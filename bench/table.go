package bench

import (
	"fmt"
	"strings"
)

// Row is one shape of a table: GFLOP/s per round, summarised per peer.
type Row struct {
	Shape   Shape
	Ours    Summary // the tier under test (Table.Tier)
	Generic Summary // rrra's pure-Go tier
	BLAS    Summary // numpy's BLAS (OpenBLAS when installed)
	Gonum   Summary // gonum.org/v1/gonum/blas/gonum
	// OursBLAS holds Ours÷BLAS within each round where both ran: its min
	// says whether a lead held in every round, which the ratio of medians
	// alone does not.
	OursBLAS Summary
}

// Table is the result for one thread count.
type Table struct {
	Threads int
	Tier    string // the tier in the "ours" column, e.g. "avx2"
	// BLAS names numpy's BLAS in the column headers; empty means
	// "OpenBLAS" (the column then reads n/a when nothing was measured).
	BLAS   string
	Rounds int // rounds run; cells with fewer samples say so
	Rows   []Row
}

// FormatGFLOPS prints a rate with three significant digits or so.
func FormatGFLOPS(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// FormatCell prints a Summary as "median [min–max]", "n/a" when empty, and
// notes the number of samples when it is below rounds.
func FormatCell(s Summary, rounds int) string {
	if s.N == 0 {
		return "n/a"
	}
	out := FormatGFLOPS(s.Median)
	if s.N > 1 {
		out += " [" + FormatGFLOPS(s.Min) + "–" + FormatGFLOPS(s.Max) + "]"
	}
	if s.N < rounds {
		plural := "s"
		if s.N == 1 {
			plural = ""
		}
		out += fmt.Sprintf(" (%d round%s)", s.N, plural)
	}
	return out
}

// FormatRatio prints the ratio of medians a/b, or "n/a".
func FormatRatio(a, b Summary) string {
	r, ok := Ratio(a, b)
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", r)
}

// Markdown renders the table with a heading line for its thread count.
func (t Table) Markdown() string {
	blas := t.BLAS
	if blas == "" {
		blas = "OpenBLAS"
	}
	var b strings.Builder
	word := "threads"
	if t.Threads == 1 {
		word = "thread"
	}
	fmt.Fprintf(&b, "### %d %s\n\n", t.Threads, word)
	fmt.Fprintf(&b, "| shape | ours (%s) GFLOP/s median [min–max] | generic GFLOP/s | %s GFLOP/s | gonum GFLOP/s | ours/%s [per round min–max] | generic/gonum |\n",
		t.Tier, blas, blas)
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			r.Shape.Label(),
			FormatCell(r.Ours, t.Rounds), FormatCell(r.Generic, t.Rounds),
			FormatCell(r.BLAS, t.Rounds), FormatCell(r.Gonum, t.Rounds),
			FormatRatio(r.Ours, r.BLAS)+roundRange(r.OursBLAS), FormatRatio(r.Generic, r.Gonum))
	}
	return b.String()
}

// roundRange prints " [min–max]" of per-round ratios, or nothing for fewer
// than two rounds.
func roundRange(s Summary) string {
	if s.N < 2 {
		return ""
	}
	return fmt.Sprintf(" [%.2f–%.2f]", s.Min, s.Max)
}
