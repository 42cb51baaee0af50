package plots

import (
	"fmt"
	"html"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/rrra/rrra/retrieval/beir"
)

// An AuditRow is one suspect of AuditReport: a (query, labelled
// negative) pair with its s_FN and rank, and both texts.
type AuditRow struct {
	QueryID, Query     string
	DocID, Title, Text string
	SFN                float64
	Rank               int
}

// AuditReport renders rrra audit's self-contained HTML report: PNG plots
// (embedded) of the distribution of s_FN over the mined negatives (rows,
// most suspect first) and the labelled positives (posRel, cross-fitted)
// and of its calibration against the labels, then the top suspects with
// both texts. data, split and model name what was audited.
func AuditReport(rows []AuditRow, posRel []float32, top int, data, split, model string) ([]byte, error) {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>rrra audit: %s %s</title>", esc(data), esc(split))
	b.WriteString(`<style>body{font:14px sans-serif;margin:2em;max-width:1100px}td,th{vertical-align:top;padding:4px 8px;border-bottom:1px solid #ddd}th{text-align:left}.n{text-align:right;white-space:nowrap}.t{color:#444;font-size:12px}img{max-width:48%}</style></head><body>`)
	fmt.Fprintf(&b, "<h1>Suspected false negatives</h1><p>Collection %s, split %s, model %s: %d labelled negatives among the mined top of each query, scored by cross-fitted RRRA adapters (s_FN = p_rel), beside the %d labelled positives scored the same way.</p>",
		esc(data), esc(split), esc(model), len(rows), len(posRel))
	v := make([]float64, 0, len(rows)+len(posRel))
	flag := make([]bool, 0, cap(v))
	for _, r := range rows {
		v, flag = append(v, r.SFN), append(flag, false)
	}
	for _, p := range posRel {
		v, flag = append(v, float64(p)), append(flag, true)
	}
	hist, err := SFNHistogram("s_FN of labelled negatives and positives", v, flag, [2]string{"mined labelled negatives", "labelled positives (cross-fitted)"})
	if err != nil {
		return nil, err
	}
	cal, err := Calibration("calibration of s_FN against the labels", "share labelled relevant", v, flag)
	if err != nil {
		return nil, err
	}
	b.WriteString("<h2>Distribution and calibration of s_FN</h2>")
	for _, pl := range []struct {
		p   *plot.Plot
		alt string
	}{{hist, "histograms of s_FN"}, {cal, "calibration of s_FN"}} {
		uri, err := PNGDataURI(pl.p, 6*vg.Inch, 4.5*vg.Inch)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, `<img alt="%s" src="%s"> `, pl.alt, uri)
	}
	b.WriteString("<p>A negative high on this scale looks to the adapters like the positives; the calibration counts every labelled negative as not relevant, so where the labels miss relevant documents the curve sits under the diagonal; the adapters are fitted with class-balanced weights, which also lifts s_FN above the base rate of relevance.</p>")
	fmt.Fprintf(&b, "<h2>Top %d suspects</h2><table><tr><th>#</th><th class=n>s_FN</th><th class=n>rank</th><th>query</th><th>document</th></tr>", min(top, len(rows)))
	for i, r := range rows[:min(top, len(rows))] {
		fmt.Fprintf(&b, "<tr><td class=n>%d</td><td class=n>%.3f</td><td class=n>%d</td><td><b>%s</b><div class=t>%s</div></td><td><b>%s</b> %s<div class=t>%s</div></td></tr>",
			i+1, r.SFN, r.Rank, esc(r.QueryID), esc(r.Query), esc(r.DocID), esc(r.Title), esc(beir.Snippet(r.Text, 600)))
	}
	b.WriteString("</table></body></html>\n")
	return []byte(b.String()), nil
}
