// Command bf16quality summarises bench/bf16_quality.sh's runs: for each
// collection named, the final dev nDCG@10 (the last evaluation in the
// fine-tuning history), the test nDCG@10 and recall@100, mean ± sample
// standard deviation over seeds, at float32 and at bfloat16, and whether
// bfloat16's mean lies within one standard deviation of float32's. It
// draws each collection's loss curves, every seed of both precisions on
// one plot, into DIR/bf16-warm-<collection>.png (the crop warm-up) and
// DIR/bf16-loss-<collection>.png (the fine-tuning).
//
//	go run ./bench/cmd/bf16quality --dir DIR cranfield scifact
//
// DIR holds <collection>/<fp32|bf16>-s<seed>/{warm.json,history.json,test.json}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/rrra/rrra/adapter/experiment"
	"github.com/rrra/rrra/bench/plots"
	"github.com/rrra/rrra/retrieval"
)

// run is one seed's training at one precision.
type run struct {
	seed      int
	warm      []retrieval.StepRecord
	hist      []retrieval.StepRecord
	dev, test float64 // nDCG@10
	recall    float64 // test recall@100
}

var precisions = []string{"fp32", "bf16"}

func main() {
	dir := flag.String("dir", "", "bench/bf16_quality.sh's work folder")
	flag.Parse()
	if *dir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: bf16quality --dir DIR COLLECTION...")
		os.Exit(2)
	}
	fmt.Println("| collection | precision | seeds | dev nDCG@10 | test nDCG@10 | test R@100 | bf16 − fp32 (dev, test) | within one std of fp32 (dev, test) |")
	fmt.Println("|---|---|--:|--:|--:|--:|--:|---|")
	for _, data := range flag.Args() {
		runs := map[string][]run{}
		for _, p := range precisions {
			r, err := load(filepath.Join(*dir, data), p)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bf16quality:", err)
				os.Exit(1)
			}
			runs[p] = r
		}
		dev := map[string][2]float64{}
		test := map[string][2]float64{}
		for _, p := range precisions {
			rs := runs[p]
			var d, t, rc []float64
			for _, r := range rs {
				d, t, rc = append(d, r.dev), append(t, r.test), append(rc, r.recall)
			}
			dm, ds := experiment.MeanStd(d)
			tm, ts := experiment.MeanStd(t)
			rm, rsd := experiment.MeanStd(rc)
			dev[p], test[p] = [2]float64{dm, ds}, [2]float64{tm, ts}
			diff, within := "", ""
			if p == "bf16" {
				diff = fmt.Sprintf("%+.4f, %+.4f", dm-dev["fp32"][0], tm-test["fp32"][0])
				within = fmt.Sprintf("%s, %s", yes(math.Abs(dm-dev["fp32"][0]) <= dev["fp32"][1]),
					yes(math.Abs(tm-test["fp32"][0]) <= test["fp32"][1]))
			}
			fmt.Printf("| %s | %s | %d | %.4f ± %.4f | %.4f ± %.4f | %.4f ± %.4f | %s | %s |\n",
				data, p, len(rs), dm, ds, tm, ts, rm, rsd, diff, within)
		}
		for _, c := range []struct {
			file, title string
			get         func(run) []retrieval.StepRecord
		}{
			{"bf16-warm-" + data + ".png", data + ": crop warm-up loss", func(r run) []retrieval.StepRecord { return r.warm }},
			{"bf16-loss-" + data + ".png", data + ": fine-tuning loss (topk-uniform)", func(r run) []retrieval.StepRecord { return r.hist }},
		} {
			if err := lossPlot(filepath.Join(*dir, c.file), c.title, runs, c.get); err != nil {
				fmt.Fprintln(os.Stderr, "bf16quality:", err)
				os.Exit(1)
			}
		}
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// load reads every seed of one precision under dir.
func load(dir, prec string) ([]run, error) {
	seeds, err := filepath.Glob(filepath.Join(dir, prec+"-s*"))
	if err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("%s: no %s-s<seed> runs", dir, prec)
	}
	var out []run
	for _, d := range seeds {
		s, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), prec+"-s"))
		if err != nil {
			return nil, fmt.Errorf("%s: not <precision>-s<seed>", d)
		}
		r := run{seed: s}
		if err := readJSON(filepath.Join(d, "warm.json"), &r.warm); err != nil {
			return nil, err
		}
		if err := readJSON(filepath.Join(d, "history.json"), &r.hist); err != nil {
			return nil, err
		}
		found := false
		for _, h := range r.hist {
			for _, f := range h.Figures {
				if f.Name == "ndcg_cut_10" {
					r.dev, found = f.Value, true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no dev ndcg_cut_10 in the history", d)
		}
		var t map[string]any
		if err := readJSON(filepath.Join(d, "test.json"), &t); err != nil {
			return nil, err
		}
		n, ok1 := t["ndcg_cut_10"].(float64)
		rc, ok2 := t["recall_100"].(float64)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s/test.json: no ndcg_cut_10 or recall_100", d)
		}
		r.test, r.recall = n, rc
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seed < out[j].seed })
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// lossPlot draws every seed's loss of both precisions: float32 in blue,
// bfloat16 in red, one dash pattern per seed.
func lossPlot(path, title string, runs map[string][]run, get func(run) []retrieval.StepRecord) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = "InfoNCE loss (mean of 10 steps)"
	colors := map[string]color.Color{"fp32": color.RGBA{B: 200, A: 255}, "bf16": color.RGBA{R: 220, A: 255}}
	dashes := [][]vg.Length{nil, {vg.Points(4), vg.Points(2)}, {vg.Points(1), vg.Points(2)}}
	for _, prec := range precisions {
		for i, r := range runs[prec] {
			var xy plotter.XYs
			for _, h := range get(r) {
				if h.Loss > 0 { // an evaluation alone carries no loss
					xy = append(xy, plotter.XY{X: float64(h.Step), Y: h.Loss})
				}
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("%s seed %d: %w", prec, r.seed, err)
			}
			l.Color = colors[prec]
			l.Dashes = dashes[i%len(dashes)]
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s seed %d", prec, r.seed), l)
		}
	}
	p.Legend.Top = true
	return plots.SavePNG(p, 7*vg.Inch, 4.5*vg.Inch, path)
}
