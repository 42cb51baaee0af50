package plots

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter/experiment"
	"github.com/rrra/rrra/retrieval"
)

// isPNG reports whether the file at path is a PNG.
func isPNG(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	return err == nil && bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n"))
}

func TestExperimentPlots(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "adapter", "experiment", "testdata", "golden", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := experiment.ReadResults(f)
	if err != nil {
		t.Fatal(err)
	}
	// The planted study's figures need s_FN and a curve, which that file
	// predates: give one method some.
	res.Setup.HidePositives = 0.3
	m := res.Method(experiment.RRRA)
	m.SFN, m.IsPlanted = []float64{0.1, 0.2, 0.9, 0.4, 0.8}, []bool{false, false, true, false, true}
	m.Curve = []retrieval.StepRecord{{Step: 1, Loss: 2}, {Step: 5, Loss: 1.5}, {Step: 10, Loss: 1.2}}
	dir := t.TempDir()
	if err := Experiment(dir, res); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ndcg_cut_10.png", "loss.png", "s_fn_rrra.png", "calibration_rrra.png"} {
		if !isPNG(t, filepath.Join(dir, name)) {
			t.Errorf("%s is not a PNG", name)
		}
	}
	p, err := SFNHistogram("s_FN", m.SFN, m.IsPlanted, [2]string{"other", "planted"})
	if err != nil {
		t.Fatal(err)
	}
	uri, err := PNGDataURI(p, 200, 150)
	if err != nil || !strings.HasPrefix(uri, "data:image/png;base64,") {
		t.Fatalf("PNGDataURI: %.40q %v", uri, err)
	}
}

func TestTrainingPlot(t *testing.T) {
	hist := []retrieval.StepRecord{
		{Step: 10, Loss: 3, Figures: []retrieval.Figure{{Name: "ndcg_cut_10", Value: 0.1}}},
		{Step: 20, Loss: 2},
		{Step: 30, Loss: 1.5, Figures: []retrieval.Figure{{Name: "ndcg_cut_10", Value: 0.2}}},
	}
	path := filepath.Join(t.TempDir(), "loss.png")
	if err := Training(path, hist); err != nil {
		t.Fatal(err)
	}
	if !isPNG(t, path) || !isPNG(t, strings.TrimSuffix(path, ".png")+"-dev.png") {
		t.Error("the loss or dev figure is missing")
	}
}

func TestAuditReport(t *testing.T) {
	rows := []AuditRow{{QueryID: "q1", Query: "flow <over> wings", DocID: "d7", Title: "On lift", Text: strings.Repeat("word ", 200), SFN: 0.9, Rank: 3},
		{QueryID: "q2", Query: "heat", DocID: "d9", Text: "boundary layer", SFN: 0.2, Rank: 12}}
	page, err := AuditReport(rows, []float32{0.8, 0.7}, 1, "cranfield", "train", "model")
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{"<h2>Top 1 suspects</h2>", "flow &lt;over&gt; wings", "data:image/png;base64,", "…"} {
		if !strings.Contains(s, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(s, "boundary layer") {
		t.Error("the report lists more suspects than its top")
	}
}
