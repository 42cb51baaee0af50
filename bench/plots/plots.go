// Package plots draws rrra's figures as PNG with gonum.org/v1/plot: an
// experiment's results (nDCG@10 per method, loss curves, the planted
// study's s_FN histograms and calibration), a training run's curves, and
// the audit report's plots. rrra experiment, train --plot and audit
// --html draw with it; a program holding an experiment.Results can too.
package plots

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/rrra/rrra/adapter/experiment"
	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/retrieval"
)

// Experiment draws the experiment's figures into dir as PNG: nDCG@10 per
// method (mean and standard deviation over seeds), the training loss curves
// of the first seed, and, with planted false negatives, the distribution of
// s_FN over planted and other mined negatives and the calibration of s_FN.
func Experiment(dir string, res *experiment.Results) error {
	if err := metricPlot(filepath.Join(dir, "ndcg_cut_10.png"), res); err != nil {
		return err
	}
	if err := lossPlot(filepath.Join(dir, "loss.png"), res); err != nil {
		return err
	}
	if res.Setup.HidePositives > 0 {
		for i := range res.Methods {
			r := &res.Methods[i]
			if len(r.SFN) == 0 {
				continue
			}
			if err := sfnPlot(filepath.Join(dir, "s_fn_"+string(r.Method)+".png"), r); err != nil {
				return err
			}
			if err := calibrationPlot(filepath.Join(dir, "calibration_"+string(r.Method)+".png"), r); err != nil {
				return err
			}
		}
	}
	return nil
}

func metricPlot(path string, res *experiment.Results) error {
	results := res.Methods
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, test nDCG@10 (%d seeds)", res.Data, res.Seeds)
	p.Y.Label.Text = "nDCG@10"
	var vals plotter.Values
	var errs plotter.YErrors
	var names []string
	for _, r := range results {
		m, s := experiment.MeanStd(r.PerSeed["ndcg_cut_10"])
		vals = append(vals, m)
		errs = append(errs, struct{ Low, High float64 }{s, s})
		names = append(names, string(r.Method))
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(22))
	if err != nil {
		return err
	}
	bars.Color = color.RGBA{R: 74, G: 122, B: 181, A: 255}
	p.Add(bars)
	type xyerr struct {
		plotter.XYs
		plotter.YErrors
	}
	pts := make(plotter.XYs, len(vals))
	for i, v := range vals {
		pts[i].X, pts[i].Y = float64(i), v
	}
	if res.Seeds > 1 {
		eb, err := plotter.NewYErrorBars(xyerr{pts, errs})
		if err != nil {
			return err
		}
		p.Add(eb)
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -1, -0.5
	return SavePNG(p, vg.Length(3+0.7*float64(len(results)))*vg.Inch, 4*vg.Inch, path)
}

func lossPlot(path string, res *experiment.Results) error {
	p := plot.New()
	p.Title.Text = "training loss (seed 1)"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "InfoNCE loss"
	var args []any
	for _, r := range res.Methods {
		if len(r.Curve) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(r.Curve))
		for i, c := range r.Curve {
			pts[i].X, pts[i].Y = float64(c.Step), c.Loss
		}
		args = append(args, string(r.Method), pts)
	}
	if len(args) == 0 {
		return nil
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	p.Legend.Top = true
	return SavePNG(p, 6*vg.Inch, 4*vg.Inch, path)
}

// sfnPlot draws normalised histograms of s_FN for the planted false
// negatives and for the other mined negatives.
func sfnPlot(path string, r *experiment.MethodResult) error {
	p, err := SFNHistogram("s_FN of mined negatives, "+string(r.Method)+" (seed 1)", r.SFN, r.IsPlanted,
		[2]string{"other negatives", "planted false negatives"})
	if err != nil {
		return err
	}
	return SavePNG(p, 6*vg.Inch, 4*vg.Inch, path)
}

// SFNHistogram draws normalised histograms (20 bins on [0, 1]) of the
// values v whose flag is false and of those whose flag is true, named by
// names.
func SFNHistogram(title string, v []float64, flag []bool, names [2]string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "s_FN"
	p.Y.Label.Text = "density (each group's area is 1)"
	for i, want := range []bool{false, true} {
		var vals plotter.Values
		for j, s := range v {
			if flag[j] == want {
				vals = append(vals, s)
			}
		}
		if len(vals) == 0 {
			continue
		}
		h, err := plotter.NewHist(vals, 20)
		if err != nil {
			return nil, err
		}
		h.Normalize(1)
		c := color.NRGBAModel.Convert(plotutil.Color(i)).(color.NRGBA)
		c.A = 110
		h.FillColor = c
		h.Color = plotutil.Color(i)
		p.Add(h)
		p.Legend.Add(fmt.Sprintf("%s (%d)", names[i], len(vals)), h)
	}
	p.Legend.Top = true
	p.X.Min, p.X.Max = 0, 1
	return p, nil
}

// calibrationPlot draws, per decile of s_FN, the share of mined negatives
// that are planted false negatives against the mean s_FN.
func calibrationPlot(path string, r *experiment.MethodResult) error {
	p, err := Calibration("calibration of s_FN, "+string(r.Method)+" (seed 1)", "share planted", r.SFN, r.IsPlanted)
	if err != nil {
		return err
	}
	return SavePNG(p, 5*vg.Inch, 5*vg.Inch, path)
}

// Calibration draws a reliability diagram: per decile of the predicted
// probabilities v, the share of flagged items against the mean prediction,
// with the diagonal.
func Calibration(title, ylabel string, v []float64, flag []bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "mean s_FN in the bin"
	p.Y.Label.Text = ylabel
	const bins = 10
	var sum, hit, n [bins]float64
	for j, s := range v {
		b := min(bins-1, max(0, int(s*bins)))
		sum[b] += s
		n[b]++
		if flag[j] {
			hit[b]++
		}
	}
	var pts plotter.XYs
	for b := 0; b < bins; b++ {
		if n[b] > 0 {
			pts = append(pts, plotter.XY{X: sum[b] / n[b], Y: hit[b] / n[b]})
		}
	}
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.Color = color.Gray{Y: 160}
	p.Add(diag)
	if err := plotutil.AddLinePoints(p, "observed", pts); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	return p, nil
}

// PNGDataURI renders p as a PNG of w × h inches in a data: URI, for a
// self-contained HTML page.
func PNGDataURI(p *plot.Plot, w, h vg.Length) (string, error) {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// Training draws a training run's loss per logged step to path and,
// when the run was evaluated more than once, its dev figures per
// evaluation to path with "-dev" before the extension. Both files are
// written atomically.
func Training(path string, hist []retrieval.StepRecord) error {
	var loss plotter.XYs
	dev := map[string]plotter.XYs{}
	var names []string
	for _, r := range hist {
		if r.Loss > 0 { // a record of an evaluation alone carries no loss
			loss = append(loss, plotter.XY{X: float64(r.Step), Y: r.Loss})
		}
		for _, f := range r.Figures {
			if dev[f.Name] == nil {
				names = append(names, f.Name)
			}
			dev[f.Name] = append(dev[f.Name], plotter.XY{X: float64(r.Step), Y: f.Value})
		}
	}
	p := plot.New()
	p.Title.Text = "training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "InfoNCE loss (mean since the last point)"
	if err := plotutil.AddLinePoints(p, "loss", loss); err != nil {
		return err
	}
	if err := SavePNG(p, 6*vg.Inch, 4*vg.Inch, path); err != nil {
		return err
	}
	if len(names) == 0 || len(dev[names[0]]) < 2 {
		return nil
	}
	p = plot.New()
	p.Title.Text = "dev figures"
	p.X.Label.Text = "step"
	var args []any
	for _, n := range names {
		args = append(args, n, dev[n])
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	p.Legend.Top = true
	ext := filepath.Ext(path)
	return SavePNG(p, 6*vg.Inch, 4*vg.Inch, strings.TrimSuffix(path, ext)+"-dev"+ext)
}

// SavePNG writes p as a PNG of w × h to path, atomically.
func SavePNG(p *plot.Plot, w, h vg.Length, path string) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return err
	}
	return atomicfile.WriteFunc(path, func(out io.Writer) error {
		_, err := wt.WriteTo(out)
		return err
	})
}
