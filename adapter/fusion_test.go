package adapter

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/tensor"
)

// synthQueries makes queries whose relevant candidates are those where
// feature 2 plus feature 6 is high and feature 0 is low, a rule no single
// feature gives; the other features are noise.
func synthQueries(seed uint64, n int) []FusionQuery {
	r := rand.New(rand.NewPCG(seed, 1))
	var qs []FusionQuery
	for range n {
		var q FusionQuery
		for range 40 {
			x := make([]float32, numFusionFeatures)
			for j := range x {
				x[j] = float32(r.NormFloat64())
			}
			g := float32(0)
			if x[2]+x[6]-0.5*x[0] > 1.5 {
				g = 1
				q.Ideal = append(q.Ideal, 1)
			}
			q.Feats, q.Gain = append(q.Feats, x), append(q.Gain, g)
		}
		qs = append(qs, q)
	}
	return qs
}

// TestFusionGradient checks lossGrad's gradient against central finite
// differences in float64, for the linear and the hidden-layer model.
func TestFusionGradient(t *testing.T) {
	qs := synthQueries(3, 5)
	for _, hidden := range []int{0, 3} {
		f, err := TrainFusion(qs, FusionConfig{Hidden: hidden, Epochs: 3, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := newFusionParams(f)
		grad := make([]float64, len(p.vals))
		p.lossGrad(qs, grad)
		for i := range p.vals {
			x := p.vals[i]
			const h = 1e-6
			p.vals[i] = x + h
			lp := p.lossGrad(qs, make([]float64, len(p.vals)))
			p.vals[i] = x - h
			lm := p.lossGrad(qs, make([]float64, len(p.vals)))
			p.vals[i] = x
			num := (lp - lm) / (2 * h)
			if math.Abs(num-grad[i]) > 1e-6*max(1, math.Abs(num)) {
				t.Errorf("hidden %d, parameter %d: gradient %g, finite difference %g", hidden, i, grad[i], num)
			}
		}
	}
}

// TestFusionLearnsARule checks a fusion trained on one set of synthetic
// queries ranks held-out ones far better than the best single feature,
// and that the hidden layer does no worse than the linear model on a rule
// that is linear.
func TestFusionLearnsARule(t *testing.T) {
	train, test := synthQueries(1, 200), synthQueries(2, 100)
	mean := func(score func(q FusionQuery) []float32) float64 {
		s := 0.0
		for _, q := range test {
			s += q.NDCG10(score(q))
		}
		return s / float64(len(test))
	}
	single := mean(func(q FusionQuery) []float32 {
		out := make([]float32, len(q.Feats))
		for i, x := range q.Feats {
			out[i] = x[2]
		}
		return out
	})
	for _, hidden := range []int{0, 8} {
		f, err := TrainFusion(train, FusionConfig{Hidden: hidden, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		got := mean(func(q FusionQuery) []float32 { return f.ScoreAll(q.Feats) })
		t.Logf("hidden %d: held-out nDCG@10 %.3f; the best single feature %.3f", hidden, got, single)
		if got < 0.9 || got < single+0.2 {
			t.Errorf("hidden %d: held-out nDCG@10 %.3f, want ≥ 0.9 and 0.2 above the single feature's %.3f", hidden, got, single)
		}
	}
	f, cfg, means, err := SelectFusion(train, []FusionConfig{{Hidden: 0, Seed: 1}, {Hidden: 8, Seed: 1}}, 4)
	if err != nil || f == nil || len(means) != 2 || means[0] < 0.85 {
		t.Fatalf("SelectFusion: %v, %+v, %v", err, cfg, means)
	}
}

// TestFusionSaveLoad checks a saved fusion scores the same after loading,
// and that files of another format, other features, a missing tensor, a
// NaN or a zero deviation are refused by name.
func TestFusionSaveLoad(t *testing.T) {
	f, err := TrainFusion(synthQueries(4, 20), FusionConfig{Hidden: 4, Epochs: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, FusionFile)
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, err := LoadFusion(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range synthQueries(5, 3) {
		for _, x := range q.Feats {
			if a, b := f.Score(x), g.Score(x); a != b {
				t.Fatalf("score %v before saving, %v after", a, b)
			}
		}
	}
	sf, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(meta map[string]string, ts map[string]*tensor.Tensor)
		want string
	}{
		{"format", func(m map[string]string, _ map[string]*tensor.Tensor) { m["format"] = "x" }, "field format"},
		{"features", func(m map[string]string, _ map[string]*tensor.Tensor) { m["features"] = "a,b" }, "field features"},
		{"hidden", func(m map[string]string, _ map[string]*tensor.Tensor) { m["hidden"] = "-3" }, "field hidden"},
		{"missing", func(_ map[string]string, ts map[string]*tensor.Tensor) { delete(ts, "v") }, "holds 5 tensors"},
		{"NaN", func(_ map[string]string, ts map[string]*tensor.Tensor) { ts["u"].Data[1] = float32(math.NaN()) }, `tensor "u" holds NaN`},
		{"zero std", func(_ map[string]string, ts map[string]*tensor.Tensor) { ts["std"].Data[3] = 0 }, "want > 0"},
	} {
		meta := map[string]string{}
		for k, v := range sf.Metadata {
			meta[k] = v
		}
		ts := map[string]*tensor.Tensor{}
		for k, v := range sf.Tensors {
			ts[k] = &tensor.Tensor{Shape: v.Shape, Data: append([]float32(nil), v.Data...)}
		}
		c.edit(meta, ts)
		bad := filepath.Join(dir, c.name+".safetensors")
		if err := tensor.WriteSafetensorsFile(bad, tensor.SortedNamed(ts), meta); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFusion(bad); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: err %v, want %q naming the file", c.name, err, c.want)
		}
	}
}

// TestTrainFusionRefuses checks out-of-domain settings and malformed
// queries are refused.
func TestTrainFusionRefuses(t *testing.T) {
	qs := synthQueries(6, 3)
	for _, c := range []struct {
		cfg  FusionConfig
		qs   []FusionQuery
		want string
	}{
		{FusionConfig{Hidden: -1}, qs, "hidden -1"},
		{FusionConfig{Epochs: -5}, qs, "epochs -5"},
		{FusionConfig{LR: math.NaN()}, qs, "learning rate NaN"},
		{FusionConfig{L2: -1}, qs, "weight decay -1"},
		{FusionConfig{}, []FusionQuery{{Feats: [][]float32{{1}}, Gain: []float32{1}}}, "1 features, want 11"},
		{FusionConfig{}, []FusionQuery{{Feats: [][]float32{make([]float32, numFusionFeatures)}, Gain: []float32{1, 2}}}, "1 feature rows and 2 gains"},
		{FusionConfig{}, []FusionQuery{{Feats: [][]float32{make([]float32, numFusionFeatures)}, Gain: []float32{0}}}, "no query has a relevant candidate"},
	} {
		if _, err := TrainFusion(c.qs, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.cfg, err, c.want)
		}
	}
}
