package adapter

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/retrieval"
)

func TestNewReranker(t *testing.T) {
	a, _ := New(DefaultConfig(4), 1)
	lex, _ := New(Config{Dim: 4, Hidden: 4, Features: Features{LexFeature: true}}, 1)
	tok, _ := New(Config{Dim: 4, Hidden: 4, Features: Features{Token: true}}, 1)
	other, _ := New(Config{Dim: 4, Hidden: 8}, 1)
	for _, tc := range []struct {
		name  string
		folds Folds
		temp  float64
		cfg   RerankConfig
		want  string
	}{
		{"no adapters", nil, 1, RerankConfig{}, "no adapters"},
		{"folds of two shapes", Folds{a, other}, 1, RerankConfig{}, "fold 1"},
		{"negative depth", Folds{a}, 1, RerankConfig{K: -5}, "depth -5"},
		{"negative λ", Folds{a}, 1, RerankConfig{Lambda: -1}, "λ -1"},
		{"NaN λ", Folds{a}, 1, RerankConfig{Lambda: math.NaN()}, "λ NaN"},
		{"negative τ_b", Folds{a}, 1, RerankConfig{TauB: -0.05}, "τ_b -0.05"},
		{"infinite τ_b", Folds{a}, 1, RerankConfig{TauB: math.Inf(1)}, "τ_b +Inf"},
		{"negative temperature", Folds{a}, -1, RerankConfig{}, "temperature -1"},
		{"lex_feature without BM25", Folds{lex}, 1, RerankConfig{}, "lex_feature"},
		{"adapter B without token states", Folds{tok}, 1, RerankConfig{}, "token states"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReranker(tc.folds, tc.temp, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewReranker: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Defaults: depth 100, τ_b the model's temperature (1 when it has
	// none).
	for _, tc := range []struct{ temp, want float64 }{{0.05, 0.05}, {0, 1}} {
		rr, err := NewReranker(Folds{a}, tc.temp, RerankConfig{Lambda: 0.25})
		if err != nil {
			t.Fatal(err)
		}
		if c := rr.Config(); c.K != 100 || c.TauB != tc.want {
			t.Errorf("temperature %g: depth %d, τ_b %g; want 100, %g", tc.temp, c.K, c.TauB, tc.want)
		}
	}
}

func TestFoldsSaveLoad(t *testing.T) {
	var folds Folds
	for seed := uint64(1); seed <= 3; seed++ {
		a, err := New(Config{Dim: 6, Hidden: 5, Dropout: 0.1, Features: Features{ScoreFeature: true, PosLexFeature: true}}, seed)
		if err != nil {
			t.Fatal(err)
		}
		folds = append(folds, a)
	}
	path := filepath.Join(t.TempDir(), File)
	if err := folds.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFolds(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || back.Config() != folds.Config() {
		t.Fatalf("loaded %d folds shaped %+v, want 3 shaped %+v", len(back), back.Config(), folds.Config())
	}
	for q := 0; q < 7; q++ {
		if back.ForQuery(q) != back[q%3] {
			t.Fatalf("ForQuery(%d) is not fold %d", q, q%3)
		}
	}
	// Metadata written before the parameter table named the features
	// "token" and "pos_lex".
	f, err := readFeatures(map[string]string{"token": "true", "pos_lex": "true", "score_feature": "true"})
	if err != nil || !f.Token || !f.PosLexFeature || !f.ScoreFeature || f.LexFeature {
		t.Fatalf("legacy metadata: %+v %v", f, err)
	}
	if _, err := readFeatures(map[string]string{"lex_feature": "yes please"}); err == nil || !strings.Contains(err.Error(), "lex_feature") {
		t.Fatalf("a bad feature value: %v", err)
	}
}

func TestNewTrainingSamplerRefuses(t *testing.T) {
	if _, err := NewTrainingSampler(DefaultSamplerConfig(), nil, nil, nil, 1); err == nil {
		t.Fatal("accepted no encoder and no data")
	}
	if _, err := Audit(&retrieval.Encoder{}, &retrieval.TrainData{}, AuditConfig{K: 0}); err == nil || !strings.Contains(err.Error(), "depth 0") {
		t.Fatalf("Audit with depth 0: %v", err)
	}
}
