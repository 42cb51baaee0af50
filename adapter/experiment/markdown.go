package experiment

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatMeanStd writes "mean ± std" of v's values that are not NaN with
// the given digits ("mean" alone for one value or no spread, "—" for
// none).
func FormatMeanStd(v []float64, digits int) string {
	m, s := MeanStd(v)
	if math.IsNaN(m) {
		return "—"
	}
	if len(v) < 2 || s < 1e-12*math.Max(1, math.Abs(m)) {
		return fmt.Sprintf("%.*f", digits, m)
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, m, digits, s)
}

// WriteMarkdown writes r as `rrra experiment` prints it: a header that
// says what was run, on what and when, the table of test measures (mean
// ± std over seeds) with RRRA's p-values, and the tables of self-training
// and of the adapter variants where there are any.
func (r *Results) WriteMarkdown(out io.Writer) error {
	w := bufio.NewWriter(out)
	s := &r.Setup
	planted := s.HidePositives > 0
	date := r.Date
	if t, err := time.Parse(time.RFC3339, r.Date); err == nil {
		date = t.Format("2006-01-02")
	}
	fmt.Fprintf(w, "### %s: test split, %d seeds\n\n", r.Data, r.Seeds)
	fmt.Fprintf(w, "`rrra experiment %s` — %s, %d threads (%s kernels), Go %s, %s; %.0f min in all.\n\n",
		strings.Join(r.Args, " "), s.CPU, s.Threads, s.Kernels, s.GoVersion, date, s.Minutes)
	fmt.Fprintf(w, "%d documents, %d training and %d test queries. Model %s (vocabulary %d from the corpus), mean pooling, cosine/%g; "+
		"documents cut to %d tokens, queries to %d. Warm-up: %d steps of %d crop pairs, lr %g. Fine-tuning: %d steps of %d queries × (1 + %d negatives), "+
		"lr %g, dense pools re-mined every %d steps (BM25's pool before the first). RRRA: %s; reranking λ %s over the top %d, τ_b %g.",
		s.Docs, s.TrainQueries, s.TestQueries, s.Model, s.VocabSize, s.Temperature, s.DocLen, s.QueryLen, s.WarmSteps, s.WarmBatch, s.WarmLR,
		s.Steps, s.Batch, s.Negatives, s.LR, s.Refresh, s.RRRAParams, s.lambdaText(), s.RerankK, s.Temperature)
	if planted {
		fmt.Fprintf(w, " Planted false negatives: %g of each training query's relevant documents hidden.", s.HidePositives)
	}
	if r.Best != "" {
		fmt.Fprintf(w, " p: paired randomization test (10,000 trials) of per-query nDCG@10, averaged over seeds, against the best baseline, %s.", r.Best)
	}
	hybrid := r.hasHybrid()
	if hybrid {
		fmt.Fprintf(w, " Hybrid rows (METHOD+FUSION) rank the union of BM25's and METHOD's model's top 100 by reciprocal rank fusion (k 60), "+
			"by a linear fusion of both scores min-max normalised per query (its weight α on the dense score tuned on the training queries), "+
			"or by the learned fusion (a linear or one-hidden-layer model over 11 query-time features, chosen and fitted on the training queries); "+
			"both fitted on features out of sample for the dense model, from two more models trained METHOD's way on one half of the training queries each. "+
			"p vs BM25 and p vs RRF: the same test against BM25 and against METHOD+rrf.")
	}
	fmt.Fprintf(w, "\n\n")
	head := "| method | nDCG@10 | MRR@10 | R@10 | R@100 | p |"
	sep := "|---|--:|--:|--:|--:|--:|"
	if hybrid {
		head += " p vs BM25 | p vs RRF |"
		sep += "--:|--:|"
	}
	if planted {
		head += " planted share of negatives | hardness | from pool | planted in pools | AUC s_FN | AUC score | AUC SimANS | AUC BM25 | R-prec s_FN | R-prec score | R-prec SimANS | R-prec BM25 | top-20 AUC s_FN | top-20 AUC score | top-20 AUC SimANS |"
		sep += "--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, sep)
	for i := range r.Methods {
		m := &r.Methods[i]
		p := "—"
		if m.PVsBest != nil {
			p = fmt.Sprintf("%.3g", *m.PVsBest)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |", m.Method, FormatMeanStd(m.PerSeed["ndcg_cut_10"], 4), FormatMeanStd(m.PerSeed["mrr_cut_10"], 4),
			FormatMeanStd(m.PerSeed["recall_10"], 4), FormatMeanStd(m.PerSeed["recall_100"], 4), p)
		if hybrid {
			fmt.Fprintf(w, " %s | %s |", formatP(m.PVsBM25), formatP(m.PVsRRF))
		}
		if planted {
			a := m.AUC
			fmt.Fprintf(w, " %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", FormatMeanStd(m.Planted, 4), FormatMeanStd(m.Hardness, 3), FormatMeanStd(m.FromPool, 2), FormatMeanStd(a["in_pool"], 0),
				FormatMeanStd(a["s_fn"], 3), FormatMeanStd(a["score"], 3), FormatMeanStd(a["simans"], 3), FormatMeanStd(a["bm25"], 3),
				FormatMeanStd(a["rprec_s_fn"], 3), FormatMeanStd(a["rprec_score"], 3), FormatMeanStd(a["rprec_simans"], 3), FormatMeanStd(a["rprec_bm25"], 3),
				FormatMeanStd(a["top20_s_fn"], 3), FormatMeanStd(a["top20_score"], 3), FormatMeanStd(a["top20_simans"], 3))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, m := range r.Methods {
		if len(m.Lambda) > 0 {
			var ls []string
			for _, x := range m.Lambda {
				ls = append(ls, strconv.FormatFloat(x, 'g', -1, 64))
			}
			fmt.Fprintf(w, "%s: λ_RR chosen per seed: %s.\n", m.Method, strings.Join(ls, ", "))
		}
	}
	for _, m := range r.Methods {
		if len(m.FusionChoice) == 0 {
			continue
		}
		var cs []string
		for _, x := range m.FusionChoice {
			cs = append(cs, strconv.FormatFloat(x, 'g', -1, 64))
		}
		what := "linear fusion's α"
		if _, f := m.Method.hybridParts(); f == FusionLearned {
			what = "learned fusion's hidden units"
		}
		fmt.Fprintf(w, "%s: the %s chosen per seed: %s.\n", m.Method, what, strings.Join(cs, ", "))
	}
	r.writeSelfTraining(w, planted)
	if len(s.Variants) > 0 {
		r.writeVariants(w, planted)
	}
	return w.Flush()
}

// formatP writes a p-value, "—" for none.
func formatP(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.3g", *p)
}

// lambdaText describes the rerank methods' λ_RR for the table's header.
func (s *Setup) lambdaText() string {
	if len(s.RerankGrid) == 0 {
		return strconv.FormatFloat(s.RerankLambda, 'g', -1, 64)
	}
	var g []string
	for _, x := range s.RerankGrid {
		g = append(g, strconv.FormatFloat(x, 'g', -1, 64))
	}
	return "chosen per seed from {" + strings.Join(g, ", ") + "} by cross-fitted nDCG@10 on the training queries (0 unless the best beats it with p < 0.05)"
}

// writeSelfTraining writes, for the methods that self-trained, how many
// candidates were promoted to positives and, with planted negatives, how
// many of them were planted.
func (r *Results) writeSelfTraining(w io.Writer, planted bool) {
	var st []*MethodResult
	for i := range r.Methods {
		if r.Methods[i].SelfTrain != nil {
			st = append(st, &r.Methods[i])
		}
	}
	if len(st) == 0 {
		return
	}
	fmt.Fprintf(w, "Self-training: candidates promoted to positives over the run, per seed (mean ± std).\n\n")
	if planted {
		fmt.Fprintln(w, "| method | promoted | planted among the promoted | share of planted documents promoted |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
	} else {
		fmt.Fprintln(w, "| method | promoted |")
		fmt.Fprintln(w, "|---|--:|")
	}
	for _, m := range st {
		fmt.Fprintf(w, "| %s | %s |", m.Method, FormatMeanStd(m.SelfTrain["promoted"], 1))
		if planted {
			fmt.Fprintf(w, " %s | %s |", FormatMeanStd(m.SelfTrain["precision"], 3), FormatMeanStd(m.SelfTrain["planted_recall"], 3))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// writeVariants writes the adapter ablation: per trained method and
// variant, reranking's nDCG@10 and, with planted negatives, how well s_FN
// finds them.
func (r *Results) writeVariants(w io.Writer, planted bool) {
	s := &r.Setup
	fmt.Fprintf(w, "Adapter variants, each fitted on every trained method's final model (RRRA parameters %q plus the variant's); "+
		"reranking with λ %g over the top %d.\n\n", s.RRRAParams, s.RerankLambda, s.RerankK)
	head, sep := "| method | variant | parameters | rerank nDCG@10 |", "|---|---|---|--:|"
	if planted {
		head += " AUC s_FN | R-prec s_FN | top-20 AUC s_FN |"
		sep += "--:|--:|--:|"
	}
	fmt.Fprintln(w, head+" fit s |")
	fmt.Fprintln(w, sep+"--:|")
	for _, m := range r.Methods {
		for _, v := range s.Variants {
			vm := m.Variants[v.Name]
			if vm == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | `%s` | %s |", m.Method, v.Name, v.Params, FormatMeanStd(vm["rerank_ndcg_cut_10"], 4))
			if planted {
				fmt.Fprintf(w, " %s | %s | %s |", FormatMeanStd(vm["auc_s_fn"], 3), FormatMeanStd(vm["rprec_s_fn"], 3), FormatMeanStd(vm["top20_auc_s_fn"], 3))
			}
			fmt.Fprintf(w, " %s |\n", FormatMeanStd(vm["fit_seconds"], 1))
		}
	}
	fmt.Fprintln(w)
}
