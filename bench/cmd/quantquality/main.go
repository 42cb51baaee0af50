// Command quantquality measures what int8 (or, with -precision bf16,
// bfloat16) inference costs a bi-encoder in quality: it encodes a BEIR
// collection's whole corpus and its test queries with a model folder
// twice, at float32 and at int8 (the folder quantized as it loads, exactly
// as rrra quantize writes it), and reports
//
//   - the cosine between each document's int8 and float32 vectors (mean,
//     1st percentile, minimum) and the same over the queries;
//
//   - nDCG@10 and recall@100 of exact dense search at both precisions, with
//     the paired randomization test (10,000 trials) of per-query nDCG@10;
//
//   - how much of the float32 top 10 the int8 top 10 keeps;
//
//   - the recall@10 of an int8 vector index (scalar quantization of the
//     float32 document vectors, index.Quantized) against exact float32
//     search, with and without the float32 re-scoring of its candidates.
//
//     go run ./bench/cmd/quantquality --data cranfield --model rrra-demo/model
//
// It prints one JSON line and a markdown table row (bench/quant.sh
// collects them).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
	"github.com/rrra/rrra/tensor"
)

func main() {
	data := flag.String("data", "cranfield", "BEIR folder or embedded collection")
	model := flag.String("model", "rrra-demo/model", "bi-encoder folder (float32)")
	split := flag.String("split", "test", "split whose queries are searched")
	label := flag.String("label", "", "name of the model in the table row (default: --model)")
	low := flag.String("precision", "int8", "the precision compared with fp32: int8 or bf16")
	flag.Parse()
	if *low != "int8" && *low != "bf16" {
		fmt.Fprintf(os.Stderr, "quantquality: -precision %q: want int8 or bf16\n", *low)
		os.Exit(2)
	}
	if *label == "" {
		*label = *model
	}
	if err := run(*data, *model, *split, *label, *low); err != nil {
		fmt.Fprintln(os.Stderr, "quantquality:", err)
		os.Exit(1)
	}
}

// side is one precision's vectors and run.
type side struct {
	docs, queries []float32
	docSecs       float64
	run           metrics.Run
	rep           *metrics.Report
}

func run(data, model, split, label, low string) error {
	fsys, name, err := beir.Open(data)
	if err != nil {
		return err
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		return err
	}
	qrels, _, err := d.Qrels(split)
	if err != nil {
		return err
	}
	qids, texts := retrieval.QueryTexts(d.SplitQueries(qrels))
	corpus := retrieval.NewCorpusData(d)
	measures := []string{"ndcg_cut_10", "recall_100"}
	sides := map[string]*side{}
	var dim int
	for _, prec := range []string{"fp32", low} {
		enc, err := retrieval.LoadEncoder(model, retrieval.EncoderOptions{Precision: prec})
		if err != nil {
			return err
		}
		dim = enc.Dim()
		s := &side{}
		began := time.Now()
		if s.docs, err = enc.Docs(corpus.Docs, nil); err != nil {
			return err
		}
		s.docSecs = time.Since(began).Seconds()
		if s.queries, err = enc.Queries(texts, nil); err != nil {
			return err
		}
		vecs, err := tensor.FromData(tensor.S(len(corpus.Docs), dim), s.docs)
		if err != nil {
			return err
		}
		ix, err := retrieval.IndexVectors(corpus, vecs, prec)
		if err != nil {
			return err
		}
		s.run = retrieval.DenseSearch(ix, qids, s.queries, 100)
		if s.rep, err = metrics.Evaluate(metrics.Qrels(qrels), s.run, measures, metrics.Options{Complete: true}); err != nil {
			return err
		}
		sides[prec] = s
	}
	f, q := sides["fp32"], sides[low]
	docCos := cosines(f.docs, q.docs, dim)
	qCos := cosines(f.queries, q.queries, dim)
	p, err := metrics.RandomizationTest(perQuery(q.rep, "ndcg_cut_10"), perQuery(f.rep, "ndcg_cut_10"), 10000, 1)
	if err != nil {
		return err
	}
	keep := topOverlap(f.run, q.run, 10)
	sq, err := scalarIndexRecall(corpus, f.docs, f.queries, dim, qids)
	if err != nil {
		return err
	}
	out := map[string]any{
		"model": label, "data": data, "split": split, "docs": len(corpus.Docs), "queries": len(qids), "dim": dim,
		"doc_cos_mean": mean(docCos), "doc_cos_p1": pct(docCos, 0.01), "doc_cos_min": slices.Min(docCos),
		"query_cos_mean": mean(qCos), "query_cos_min": slices.Min(qCos),
		"ndcg10_fp32": f.rep.Mean["ndcg_cut_10"], "ndcg10_" + low: q.rep.Mean["ndcg_cut_10"],
		"recall100_fp32": f.rep.Mean["recall_100"], "recall100_" + low: q.rep.Mean["recall_100"],
		"p_ndcg10": p, "top10_kept": keep,
		"sq8_recall10": sq.raw, "sq8_rescored_recall10": sq.rescored, "sq8_bytes_ratio": sq.bytesRatio,
		"docs_per_s_fp32": float64(len(corpus.Docs)) / f.docSecs, "docs_per_s_" + low: float64(len(corpus.Docs)) / q.docSecs,
		"int8_kernels": kernels.SelectedInt8(), "bf16_kernels": kernels.SelectedBF16(),
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return err
	}
	fmt.Printf("| %s | %s | %d | %.5f | %.5f | %.5f | %.5f | %.4f (%.4f) | %.4f (%.4f) | %.2f | %.3f | %.4f | %.4f |\n",
		label, data, len(corpus.Docs), mean(docCos), pct(docCos, 0.01), slices.Min(docCos), mean(qCos),
		q.rep.Mean["ndcg_cut_10"], f.rep.Mean["ndcg_cut_10"], q.rep.Mean["recall_100"], f.rep.Mean["recall_100"],
		p, keep, sq.raw, sq.rescored)
	return nil
}

// perQuery returns one measure's value per query.
func perQuery(r *metrics.Report, measure string) map[string]float64 {
	out := make(map[string]float64, len(r.PerQuery))
	for q, m := range r.PerQuery {
		out[q] = m[measure]
	}
	return out
}

// cosines returns the cosine between row i of a and of b, for every row.
func cosines(a, b []float32, dim int) []float64 {
	out := make([]float64, len(a)/dim)
	for i := range out {
		var ab, aa, bb float64
		for j := range dim {
			x, y := float64(a[i*dim+j]), float64(b[i*dim+j])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		out[i] = ab / math.Sqrt(aa*bb)
	}
	return out
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// pct returns the q-quantile of x (nearest rank).
func pct(x []float64, q float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// topOverlap is the mean, over queries, of the fraction of a's top k that
// b's top k holds.
func topOverlap(a, b metrics.Run, k int) float64 {
	var sum float64
	for q, ra := range a {
		in := map[string]bool{}
		for _, r := range b[q][:min(k, len(b[q]))] {
			in[r.DocID] = true
		}
		n := 0
		for _, r := range ra[:min(k, len(ra))] {
			if in[r.DocID] {
				n++
			}
		}
		sum += float64(n) / float64(min(k, len(ra)))
	}
	return sum / float64(len(a))
}

// sq8 is the int8 vector index's recall@10 against exact float32 search.
type sq8 struct{ raw, rescored, bytesRatio float64 }

// scalarIndexRecall builds an int8 index of the float32 document vectors
// and compares its top 10 with exact search's, raw and with the best 100
// candidates re-scored in float32.
func scalarIndexRecall(corpus *retrieval.TrainData, docs, queries []float32, dim int, qids []string) (sq8, error) {
	vecs, err := tensor.FromData(tensor.S(len(corpus.Docs), dim), docs)
	if err != nil {
		return sq8{}, err
	}
	exact, err := retrieval.IndexVectors(corpus, vecs, "fp32")
	if err != nil {
		return sq8{}, err
	}
	qx, err := index.NewQuantized(exact)
	if err != nil {
		return sq8{}, err
	}
	var raw, rescored float64
	for i := range qids {
		q := queries[i*dim : (i+1)*dim]
		want := map[int]bool{}
		for _, h := range exact.SearchOne(q, 10) {
			want[h.Doc] = true
		}
		count := func(hits []index.Hit) float64 {
			n := 0
			for _, h := range hits {
				if want[h.Doc] {
					n++
				}
			}
			return float64(n) / float64(len(want))
		}
		raw += count(qx.Search(q, 10, 0))
		rescored += count(qx.Search(q, 10, 100))
	}
	n := float64(len(qids))
	return sq8{raw / n, rescored / n, qx.Bytes() / float64(4*len(docs))}, nil
}
