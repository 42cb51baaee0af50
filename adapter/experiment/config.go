package experiment

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
)

// A Method is one row of an experiment.
type Method string

// The methods an experiment compares.
const (
	BM25          Method = "bm25"           // BM25 retrieval, no training
	Crops         Method = "crops"          // the warm-up model alone
	NoWarmup      Method = "no-warmup"      // BM25 negatives from scratch, without the warm-up
	Random        Method = "random"         // fine-tuning with random negatives
	BM25Negatives Method = "bm25-negatives" // fine-tuning with BM25's negatives
	TopKUniform   Method = "topk-uniform"   // fine-tuning with ANCE's uniform top-k negatives
	SimANS        Method = "simans"         // fine-tuning with SimANS
	PositiveAware Method = "positive-aware" // fine-tuning with NV-Retriever's TopK-PercPos
	RRRAResample  Method = "rrra-resample"  // fine-tuning with the RRRA sampler
	RRRARerank    Method = "rrra-rerank"    // topk-uniform fine-tuning, then reranking with adapters fitted on the final model
	RRRA          Method = "rrra"           // both
)

// Methods lists every method in table order.
var Methods = []Method{BM25, Crops, NoWarmup, Random, BM25Negatives, TopKUniform, SimANS, PositiveAware, RRRAResample, RRRARerank, RRRA}

// Baselines are the methods RRRA's rows are tested against: the best of
// them by mean nDCG@10.
var Baselines = []Method{TopKUniform, SimANS, PositiveAware}

// sampler returns the negative sampler a method fine-tunes with ("" for
// none).
func (m Method) sampler() string {
	switch m {
	case BM25, Crops:
		return ""
	case NoWarmup, BM25Negatives:
		return "bm25"
	case RRRARerank:
		return "topk-uniform"
	case RRRAResample, RRRA:
		return "rrra"
	}
	return string(m)
}

// reranks reports whether the method reranks with adapters.
func (m Method) reranks() bool { return m == RRRARerank || m == RRRA }

// isRRRA reports whether the method is one of RRRA's rows (a hybrid row
// is not: it is tested against BM25 and reciprocal rank fusion instead).
func (m Method) isRRRA() bool { return strings.HasPrefix(string(m), "rrra") && !m.isHybrid() }

// The fusions of a hybrid row, each over the union of BM25's and the
// trained model's top 100 (adapter.HybridRanker): reciprocal rank fusion,
// the linear fusion with its weight tuned on the training queries, and
// the learned fusion (adapter.SelectFusionLogged). A method's hybrid row
// is named METHOD+FUSION, e.g. topk-uniform+learned.
const (
	FusionRRF     = "rrf"
	FusionLinear  = "linear"
	FusionLearned = "learned"
)

// Fusions lists the fusions in table order.
var Fusions = []string{FusionRRF, FusionLinear, FusionLearned}

// HybridRow returns the name of base's hybrid row with a fusion.
func HybridRow(base Method, fusion string) Method { return Method(string(base) + "+" + fusion) }

// isHybrid reports whether the method is a hybrid row.
func (m Method) isHybrid() bool { return strings.Contains(string(m), "+") }

// hybridParts splits a hybrid row's name into its base method and fusion.
func (m Method) hybridParts() (Method, string) {
	b, f, _ := strings.Cut(string(m), "+")
	return Method(b), f
}

// ParseMethods reads a comma-separated list of methods.
func ParseMethods(s string) ([]Method, error) {
	var out []Method
	for _, f := range strings.Split(s, ",") {
		m := Method(strings.TrimSpace(f))
		if !slices.Contains(Methods, m) {
			return nil, fmt.Errorf("experiment: unknown method %q (have %s)", f, methodNames())
		}
		out = append(out, m)
	}
	return out, nil
}

func methodNames() string {
	names := make([]string, len(Methods))
	for i, m := range Methods {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// A Variant is a named set of RRRA parameters for the adapter ablation.
type Variant struct {
	Name   string
	Params string // the full parameter list (the base list plus the variant's)
}

// ParseVariants reads "NAME:PARAMS;NAME:PARAMS", each PARAMS added to the
// base parameter list, and checks every set.
func ParseVariants(s, base string) ([]Variant, error) {
	var out []Variant
	for _, f := range strings.Split(s, ";") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		name, params, ok := strings.Cut(f, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("experiment: variant %q is not NAME:PARAMS", f)
		}
		v := Variant{Name: name, Params: JoinParams(base, params)}
		if err := adapter.ParseParams(v.Params, new(adapter.SamplerConfig)); err != nil {
			return nil, fmt.Errorf("experiment: variant %s: %w", name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// JoinParams appends RRRA parameter lists (later values win).
func JoinParams(a, b string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return b
	case strings.TrimSpace(b) == "":
		return a
	}
	return a + "," + b
}

// Config sets an experiment. DefaultConfig gives `rrra experiment`'s
// defaults.
type Config struct {
	Methods []Method
	Seeds   int    // seeds per method, 1, 2, … (≥ 1)
	Model   string // model preset (nn.Preset): mini, tiny or small

	VocabSize int // vocabulary learned from the corpus (≥ 1)
	DocLen    int // longest document in tokens (≥ 3)
	QueryLen  int // longest query in tokens (≥ 3)

	WarmSteps int     // crop warm-up steps (≥ 1)
	WarmBatch int     // crop pairs per warm-up step (≥ 1)
	WarmLR    float64 // warm-up learning rate (> 0)

	Steps     int     // fine-tuning steps per method (≥ 1)
	Batch     int     // queries per fine-tuning step (≥ 1)
	Negatives int     // hard negatives per query (≥ 0)
	LR        float64 // fine-tuning learning rate (> 0)
	Refresh   int     // re-mine dense pools every this many steps (≥ 0; 0: once)

	Temperature float64 // softmax temperature on cosine scores (> 0)
	// HidePositives is the share of each training query's relevant
	// documents hidden from training, [0, 1): planted false negatives.
	HidePositives float64

	// RRRAParams are the RRRA sampler's parameters (adapter.ParseParams).
	RRRAParams string
	// Variants are fitted on each trained method's final model.
	Variants []Variant

	// Hybrid lists trained methods (each also in Methods) whose models
	// also rank hybrid: a row per fusion (Fusions, HybridRow) after the
	// method's own. The fusions are fitted on the training queries with
	// features out of sample for the dense model: two more models are
	// trained per seed the method's way from the same start, each on one
	// half of the training queries (adapter.FusionTrainingSet). The saved
	// model (SaveModel), when its method is here, carries its learned
	// fusion.
	Hybrid []Method

	RerankLambda float64 // λ_RR for the rerank methods (≥ 0)
	// RerankGrid, when not empty, chooses λ_RR per seed from these values
	// (0 joins them) by cross-fitted nDCG@10 on the training queries
	// instead of RerankLambda.
	RerankGrid []float64
	RerankK    int // reranking depth (≥ 1)
	PoolK      int // depth of the mined pools scored in the planted study (≥ 1)

	// SaveModel, when set, is the directory the first seed's rrra (or
	// else rrra-rerank) model and its adapters are written to.
	SaveModel string

	// Args records how the experiment was called, for the table's header.
	Args []string

	// Log receives a line per method and seed (nil: none); TrainLog the
	// training runs' own logs (nil: none).
	Log, TrainLog io.Writer `json:"-"`
	// OnTrain, when set, is called as each training run starts (what
	// names it) and returns a callback for its steps, for progress bars.
	OnTrain func(what string, steps int) func(done, total int, loss float64) `json:"-"`
}

// DefaultConfig returns `rrra experiment`'s defaults.
func DefaultConfig() Config {
	return Config{
		Methods: []Method{BM25, TopKUniform, SimANS, PositiveAware, RRRAResample, RRRARerank, RRRA},
		Seeds:   3, Model: "mini", VocabSize: 4000, DocLen: 128, QueryLen: 32,
		WarmSteps: 300, WarmBatch: 32, WarmLR: 2e-3,
		Steps: 300, Batch: 16, Negatives: 3, LR: 1e-3, Refresh: 100,
		Temperature: 0.05, RRRAParams: adapter.RecommendedParams, RerankLambda: 0.25, RerankK: 100, PoolK: 100,
	}
}

// Validate checks every field against its domain before any work.
func (c *Config) Validate() error {
	if len(c.Methods) == 0 {
		return fmt.Errorf("experiment: no methods")
	}
	for _, list := range [][]Method{c.Methods, c.Hybrid} {
		for i, m := range list {
			if slices.Contains(list[:i], m) {
				return fmt.Errorf("experiment: method %q listed twice", m)
			}
		}
	}
	for _, m := range c.Methods {
		if !slices.Contains(Methods, m) {
			return fmt.Errorf("experiment: unknown method %q (have %s)", m, methodNames())
		}
	}
	ints := []struct {
		name string
		v    int
		lo   int
	}{{"seeds", c.Seeds, 1}, {"vocab size", c.VocabSize, 1}, {"document length", c.DocLen, 3}, {"query length", c.QueryLen, 3},
		{"warm-up steps", c.WarmSteps, 1}, {"warm-up batch", c.WarmBatch, 1}, {"steps", c.Steps, 1}, {"batch", c.Batch, 1},
		{"negatives", c.Negatives, 0}, {"refresh", c.Refresh, 0}, {"rerank depth", c.RerankK, 1}, {"pool depth", c.PoolK, 1}}
	for _, x := range ints {
		if x.v < x.lo {
			return fmt.Errorf("experiment: %s %d: want ≥ %d", x.name, x.v, x.lo)
		}
	}
	pos := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	switch {
	case !pos(c.WarmLR) || !pos(c.LR):
		return fmt.Errorf("experiment: learning rates %g (warm-up) and %g: want finite and > 0", c.WarmLR, c.LR)
	case !pos(c.Temperature):
		return fmt.Errorf("experiment: temperature %g: want finite and > 0", c.Temperature)
	case !(c.HidePositives >= 0 && c.HidePositives < 1):
		return fmt.Errorf("experiment: hidden share of positives %g: want 0 ≤ share < 1", c.HidePositives)
	case !(c.RerankLambda >= 0) || math.IsInf(c.RerankLambda, 0):
		return fmt.Errorf("experiment: λ_RR %g: want finite and ≥ 0", c.RerankLambda)
	}
	for _, x := range c.RerankGrid {
		if !(x >= 0) || math.IsInf(x, 0) {
			return fmt.Errorf("experiment: λ_RR grid value %g: want finite and ≥ 0", x)
		}
	}
	if _, err := c.samplerConfig(c.RRRAParams, 1); err != nil {
		return err
	}
	for _, v := range c.Variants {
		if _, err := c.samplerConfig(v.Params, 1); err != nil {
			return fmt.Errorf("experiment: variant %s: %w", v.Name, err)
		}
	}
	for _, m := range c.Hybrid {
		switch {
		case !slices.Contains(c.Methods, m):
			return fmt.Errorf("experiment: hybrid method %q is not among the methods run", m)
		case m.sampler() == "":
			return fmt.Errorf("experiment: hybrid method %q trains no model; want a fine-tuned method", m)
		}
	}
	for _, m := range c.Methods {
		if s := m.sampler(); s != "" && s != "rrra" {
			if _, err := retrieval.NewSampler(s, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// samplerConfig returns the RRRA sampler configuration of params for a
// seed, checked.
func (c *Config) samplerConfig(params string, seed uint64) (adapter.SamplerConfig, error) {
	cfg := adapter.DefaultSamplerConfig()
	cfg.Fit.Seed, cfg.Label.Seed = seed, seed
	if err := adapter.ParseParams(params, &cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// grid returns the λ_RR grid with 0 in it, sorted, without duplicates.
func (c *Config) grid() []float64 {
	if len(c.RerankGrid) == 0 {
		return nil
	}
	g := []float64{0}
	for _, x := range c.RerankGrid {
		if !slices.Contains(g, x) {
			g = append(g, x)
		}
	}
	slices.Sort(g)
	return g
}
