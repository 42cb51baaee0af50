package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/rrra/rrra/bench"
	"github.com/rrra/rrra/bench/plots"
)

// config is one curve: an engine's index kind at a thread count.
type config struct {
	engine, kind string
	nlist, th    int
}

func (c config) String() string { return c.engine + " " + c.kind }

// curve holds a configuration's rounds: per nprobe, the samples.
type curve struct {
	rounds          []result
	recall, q1, q64 map[int][]float64
	build, rss      []float64
}

func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	in := fs.String("in", "", "JSON lines of ivfbench run and ivf_faiss.py")
	png := fs.String("png", "", "write the recall–throughput plot here")
	target := fs.Float64("recall", 0.95, "recall@10 at which engines are compared")
	fs.Parse(args)
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	curves := map[config]*curve{}
	var order []config
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("%s: %v", *in, err)
		}
		c := config{r.Engine, r.Kind, r.NList, r.Threads}
		cv := curves[c]
		if cv == nil {
			cv = &curve{recall: map[int][]float64{}, q1: map[int][]float64{}, q64: map[int][]float64{}}
			curves[c] = cv
			order = append(order, c)
		}
		cv.rounds = append(cv.rounds, r)
		cv.build = append(cv.build, r.TrainS+r.AddS)
		cv.rss = append(cv.rss, r.PeakRSSMB)
		for _, p := range r.Points {
			cv.recall[p.NProbe] = append(cv.recall[p.NProbe], p.Recall10)
			cv.q1[p.NProbe] = append(cv.q1[p.NProbe], p.QPS1)
			cv.q64[p.NProbe] = append(cv.q64[p.NProbe], p.QPS64)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	slices.SortStableFunc(order, func(a, b config) int {
		if a.th != b.th {
			return a.th - b.th
		}
		return strings.Compare(a.kind+a.engine, b.kind+b.engine)
	})
	w := os.Stdout
	writeBuild(w, order, curves)
	writeCurves(w, order, curves)
	writeTargets(w, order, curves, *target)
	if *png != "" {
		return plotCurves(*png, order, curves)
	}
	return nil
}

func med(xs []float64) float64 { return bench.Summarize(xs).Median }

func cell(xs []float64) string {
	s := bench.Summarize(xs)
	if s.N == 0 {
		return "n/a"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.0f", s.Median)
	}
	return fmt.Sprintf("%.0f [%.0f–%.0f]", s.Median, s.Min, s.Max)
}

func writeBuild(w io.Writer, order []config, curves map[config]*curve) {
	fmt.Fprintf(w, "### Build\n\n| engine | index | nlist | threads | rounds | build s (train + add), median [min–max] | peak RSS MiB | vector MiB |\n|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range order {
		cv := curves[c]
		bs := bench.Summarize(cv.build)
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %.1f [%.1f–%.1f] | %.0f | %.0f |\n", c.engine, c.kind, c.nlist, c.th, len(cv.rounds),
			bs.Median, bs.Min, bs.Max, med(cv.rss), cv.rounds[0].VectorMB)
	}
	fmt.Fprintln(w)
}

func probes(cv *curve) []int {
	var ps []int
	for p := range cv.recall {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

func writeCurves(w io.Writer, order []config, curves map[config]*curve) {
	fmt.Fprintf(w, "### Recall and throughput\n\nq/s medians over rounds [min–max]; nprobe is efSearch for HNSW.\n\n| engine | index | threads | nprobe | recall@10 | q/s at nq 1 | q/s at nq 64 |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, c := range order {
		cv := curves[c]
		for _, p := range probes(cv) {
			fmt.Fprintf(w, "| %s | %s | %d | %d | %.4f | %s | %s |\n", c.engine, c.kind, c.th, p, med(cv.recall[p]), cell(cv.q1[p]), cell(cv.q64[p]))
		}
	}
	fmt.Fprintln(w)
}

// best returns, for a curve, the highest median q/s among its points whose
// median recall reaches target, the nprobe and the per-round q/s there.
func best(cv *curve, target float64, q map[int][]float64) (np int, qps []float64, ok bool) {
	var top float64
	for _, p := range probes(cv) {
		if med(cv.recall[p]) >= target && med(q[p]) > top {
			top, np, qps, ok = med(q[p]), p, q[p], true
		}
	}
	return np, qps, ok
}

func writeTargets(w io.Writer, order []config, curves map[config]*curve, target float64) {
	fmt.Fprintf(w, "### At recall@10 ≥ %.2f\n\nEach engine's fastest point whose median recall@10 reaches %.2f (the same nlist); the ratio of medians, with the least and greatest ratio within one round (rounds paired in order).\n\n", target, target)
	fmt.Fprintf(w, "| index | threads | nq | rrra nprobe (recall) | FAISS nprobe (recall) | rrra q/s | FAISS q/s | rrra ÷ FAISS |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range order {
		if c.engine != "rrra" {
			continue
		}
		for _, o := range order {
			if o.engine == "rrra" || o.kind != c.kind || o.th != c.th || o.nlist != c.nlist {
				continue
			}
			for _, nq := range []int{1, 64} {
				qa, qb := curves[c].q1, curves[o].q1
				if nq == 64 {
					qa, qb = curves[c].q64, curves[o].q64
				}
				np1, a, ok1 := best(curves[c], target, qa)
				np2, b, ok2 := best(curves[o], target, qb)
				if !ok1 || !ok2 {
					who := "rrra"
					switch {
					case ok1:
						who = o.engine
					case !ok2:
						who = "either"
					}
					fmt.Fprintf(w, "| %s | %d | %d | recall not reached by %s |||||\n", c.kind, c.th, nq, who)
					continue
				}
				lo, hi := math.Inf(1), math.Inf(-1)
				for i := range min(len(a), len(b)) {
					r := a[i] / b[i]
					lo, hi = min(lo, r), max(hi, r)
				}
				fmt.Fprintf(w, "| %s | %d | %d | %d (%.4f) | %d (%.4f) | %s | %s | %.2f [%.2f–%.2f] |\n", c.kind, c.th, nq,
					np1, med(curves[c].recall[np1]), np2, med(curves[o].recall[np2]), cell(a), cell(b), med(a)/med(b), lo, hi)
			}
		}
	}
	fmt.Fprintln(w)
}

func plotCurves(path string, order []config, curves map[config]*curve) error {
	var ps []*plot.Plot
	for _, nq := range []int{1, 64} {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("recall@10 against queries/s, nq %d, 1 thread", nq)
		p.X.Label.Text = "recall@10"
		p.Y.Label.Text = "queries/s"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		var args []any
		for _, c := range order {
			if c.th != 1 {
				continue
			}
			cv := curves[c]
			var pts plotter.XYs
			for _, pr := range probes(cv) {
				q := med(cv.q1[pr])
				if nq == 64 {
					q = med(cv.q64[pr])
				}
				pts = append(pts, plotter.XY{X: med(cv.recall[pr]), Y: q})
			}
			args = append(args, c.String(), pts)
		}
		if err := plotutil.AddLinePoints(p, args...); err != nil {
			return err
		}
		p.Legend.Left = true
		p.Legend.Top = false
		ps = append(ps, p)
	}
	for i, p := range ps {
		out := path
		if i == 1 {
			out = strings.TrimSuffix(path, ".png") + "-nq64.png"
		}
		if err := plots.SavePNG(p, 6*vg.Inch, 4*vg.Inch, out); err != nil {
			return err
		}
	}
	return nil
}
