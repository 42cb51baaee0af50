package experiment

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/metrics"
)

// Measures are the test measures every method reports (trec_eval names).
var Measures = []string{"ndcg_cut_10", "mrr_cut_10", "recall_10", "recall_100"}

// Floats is a list of values some of which may be missing (NaN), written
// to JSON as null.
type Floats []float64

// MarshalJSON writes NaN as null.
func (f Floats) MarshalJSON() ([]byte, error) {
	out := make([]any, len(f))
	for i, x := range f {
		if !math.IsNaN(x) {
			out[i] = x
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads null as NaN.
func (f *Floats) UnmarshalJSON(b []byte) error {
	var v []*float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = make(Floats, len(v))
	for i, x := range v {
		(*f)[i] = math.NaN()
		if x != nil {
			(*f)[i] = *x
		}
	}
	return nil
}

// Results is an experiment's outcome: the one schema `rrra experiment`
// writes (results.json), its Markdown table is drawn from, and ReadResults
// reads back.
type Results struct {
	Data    string   `json:"data"`
	Seeds   int      `json:"seeds"`
	Args    []string `json:"args"`
	Date    string   `json:"date"` // RFC 3339, when the run started
	Machine string   `json:"machine"`
	// Best is the baseline with the highest mean nDCG@10, against which
	// RRRA's rows are tested ("" without a baseline).
	Best    string         `json:"best_baseline,omitempty"`
	Methods []MethodResult `json:"methods"`

	// Setup says what was run: the collection's sizes, the machine and
	// the configuration, for the table's header.
	Setup Setup `json:"setup"`
}

// Setup records the collection's sizes, the machine and the
// configuration of a run (its RerankGrid with 0 joined and sorted, as
// the run used it).
type Setup struct {
	Docs, TrainQueries, TestQueries int
	CPU, Kernels, GoVersion         string
	Threads                         int
	Minutes                         float64 // wall time of the whole run
	Config
}

// MethodResult is one method's results over the seeds.
type MethodResult struct {
	Method Method `json:"method"`
	// PerSeed holds each measure's value per seed, Mean their means.
	PerSeed map[string][]float64 `json:"per_seed"`
	Mean    map[string]float64   `json:"mean"`
	Seconds []float64            `json:"seconds_per_seed"`
	// PerQuery is each test query's nDCG@10, averaged over seeds.
	PerQuery map[string]float64 `json:"ndcg_cut_10_per_query"`
	// PVsBest is the paired randomization test's p-value (10,000 trials)
	// of PerQuery against the best baseline's, for RRRA's rows.
	PVsBest *float64 `json:"p_vs_best,omitempty"`
	// For hybrid rows (Config.Hybrid): the same test against BM25's row
	// (when the experiment has one) and against the base method's
	// reciprocal rank fusion row.
	PVsBM25 *float64 `json:"p_vs_bm25,omitempty"`
	PVsRRF  *float64 `json:"p_vs_rrf,omitempty"`
	// FusionChoice holds, per seed, the linear fusion's weight α for a
	// METHOD+linear row, and the learned fusion's hidden units for a
	// METHOD+learned row (chosen on the training queries).
	FusionChoice []float64 `json:"fusion_choice,omitempty"`

	// With planted false negatives, per seed: the share of sampled
	// negatives that were planted ones, the mean cosine of the sampled
	// negatives drawn from the pool (hardness), the share drawn from the
	// pool, and per score ("s_fn", "score", "simans", "bm25", with
	// "rprec_" and "top20_" forms, and "in_pool") the ROC AUC of finding
	// the planted documents among the final model's mined negatives.
	Planted  Floats               `json:"planted_share,omitempty"`
	Hardness []float64            `json:"hardness,omitempty"`
	FromPool []float64            `json:"from_pool,omitempty"`
	AUC      map[string][]float64 `json:"planted_auc,omitempty"`

	// SelfTrain holds, with RRRA's self-training, per seed: the number of
	// candidates promoted to positives ("promoted") and, with planted
	// negatives, the share of them that were planted ("precision") and
	// the share of planted documents promoted ("planted_recall").
	SelfTrain map[string]Floats `json:"self_training,omitempty"`
	// Lambda holds, with a λ_RR grid, the λ_RR chosen per seed.
	Lambda []float64 `json:"rerank_lambda,omitempty"`
	// Variants holds, per adapter variant, its measures per seed:
	// rerank_ndcg_cut_10, and with planted negatives auc_s_fn,
	// rprec_s_fn, top20_auc_s_fn; fit_seconds.
	Variants map[string]map[string][]float64 `json:"variants,omitempty"`

	// Curve is the first seed's training curve.
	Curve []retrieval.StepRecord `json:"curve,omitempty"`
	// SFN holds the first seed's s_FN of its final model's mined
	// negatives (planted study), IsPlanted whether each is planted.
	SFN       []float64 `json:"s_fn_seed1,omitempty"`
	IsPlanted []bool    `json:"planted_seed1,omitempty"`

	perQuerySum map[string]float64 // nDCG@10 per test query, summed over seeds
}

// WriteJSON writes r as indented JSON.
func (r *Results) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadResults reads results written by WriteJSON.
func ReadResults(rd io.Reader) (*Results, error) {
	var r Results
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("experiment: results: %w", err)
	}
	return &r, nil
}

// Method returns the named method's results, or nil.
func (r *Results) Method(m Method) *MethodResult {
	for i := range r.Methods {
		if r.Methods[i].Method == m {
			return &r.Methods[i]
		}
	}
	return nil
}

// finish computes the means, the per-query means, the best baseline and
// RRRA's p-values, and drops the planted study's fields when nothing was
// planted.
func (r *Results) finish(planted bool) {
	bm := math.Inf(-1)
	var best *MethodResult
	for i := range r.Methods {
		m := &r.Methods[i]
		m.Mean = map[string]float64{}
		for k, v := range m.PerSeed {
			m.Mean[k], _ = MeanStd(v)
		}
		m.PerQuery = make(map[string]float64, len(m.perQuerySum))
		for q, v := range m.perQuerySum {
			m.PerQuery[q] = v / float64(r.Seeds)
		}
		if !planted {
			m.Planted, m.Hardness, m.FromPool, m.AUC = nil, nil, nil, nil
		}
		if len(m.Variants) == 0 {
			m.Variants = nil
		}
		for _, b := range Baselines {
			if m.Method == b {
				if mean, _ := MeanStd(m.PerSeed["ndcg_cut_10"]); mean > bm {
					best, bm = m, mean
				}
			}
		}
	}
	r.hybridTests()
	if best == nil {
		return
	}
	r.Best = string(best.Method)
	for i := range r.Methods {
		m := &r.Methods[i]
		if m.Method.isRRRA() {
			if p, err := metrics.RandomizationTest(m.PerQuery, best.PerQuery, 10000, 1); err == nil {
				m.PVsBest = &p
			}
		}
	}
}

// hybridTests computes the hybrid rows' p-values against BM25 and against
// their base method's reciprocal rank fusion.
func (r *Results) hybridTests() {
	test := func(m *MethodResult, against Method) *float64 {
		o := r.Method(against)
		if o == nil || o == m {
			return nil
		}
		p, err := metrics.RandomizationTest(m.PerQuery, o.PerQuery, 10000, 1)
		if err != nil {
			return nil
		}
		return &p
	}
	for i := range r.Methods {
		m := &r.Methods[i]
		if !m.Method.isHybrid() {
			continue
		}
		base, _ := m.Method.hybridParts()
		m.PVsBM25 = test(m, BM25)
		m.PVsRRF = test(m, HybridRow(base, FusionRRF))
	}
}

// hasHybrid reports whether r has hybrid rows.
func (r *Results) hasHybrid() bool {
	for _, m := range r.Methods {
		if m.Method.isHybrid() {
			return true
		}
	}
	return false
}

// MeanStd returns the mean and sample standard deviation of the values of
// v that are not NaN (NaN, NaN when there is none; std 0 for one).
func MeanStd(v []float64) (float64, float64) {
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean := s / float64(n)
	if n < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			ss += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(ss / float64(n-1))
}
