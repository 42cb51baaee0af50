package adapter

import (
	"fmt"
	"github.com/rrra/rrra/retrieval"
	"math"
	"strconv"
	"strings"
)

// Base is the hard-negative distribution s_HN that RRRA's resampling
// reweights by (1 − s_FN)^γ.
type Base string

// The bases a SamplerConfig takes.
const (
	// BaseSoftmax is the softmax of the pool's scores over TauHN.
	BaseSoftmax Base = "softmax"
	// BaseUniform draws uniformly from the pool (ANCE's top-k).
	BaseUniform Base = "uniform"
	// BaseSimANS is SimANS's p ∝ exp(−a(s − s⁺ − b)²).
	BaseSimANS Base = "simans"
	// BasePositiveAware is the softmax restricted to candidates scoring
	// at most s⁺ − PAMargin·|s⁺| (NV-Retriever's TopK-PercPos).
	BasePositiveAware Base = "positive-aware"
)

// Bases lists every Base in the order the help text gives them.
var Bases = []Base{BaseSoftmax, BaseUniform, BaseSimANS, BasePositiveAware}

// A Param is one RRRA parameter: the name by which ParseParams, String,
// the run log and the saved metadata know it, its kind, its domain and
// what it sets. Params lists them all; it is the one table every place
// that names them reads.
type Param struct {
	Name   string // as in "name=value"
	Kind   string // "int", "float", "bool" or "choice"
	Domain string // the values it takes, checked by ParseParams
	Help   string // what it sets

	get func(c *SamplerConfig) string
	set func(c *SamplerConfig, v string) error
}

// Get returns the parameter's value in c as ParseParams reads it.
func (p Param) Get(c SamplerConfig) string { return p.get(&c) }

// intParam, floatParam and boolParam build table rows for fields of c.
func intParam(name, domain, help string, lo, hi int, field func(c *SamplerConfig) *int) Param {
	return Param{Name: name, Kind: "int", Domain: domain, Help: help,
		get: func(c *SamplerConfig) string { return strconv.Itoa(*field(c)) },
		set: func(c *SamplerConfig, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not an integer")
			}
			if n < lo || n > hi {
				return fmt.Errorf("out of its domain %s", domain)
			}
			*field(c) = n
			return nil
		}}
}

// floatParam accepts finite values in [lo, hi] (hi excluded when open).
func floatParam(name, domain, help string, lo, hi float64, open bool, field func(c *SamplerConfig) *float64) Param {
	return Param{Name: name, Kind: "float", Domain: domain, Help: help,
		get: func(c *SamplerConfig) string { return strconv.FormatFloat(*field(c), 'g', -1, 64) },
		set: func(c *SamplerConfig, v string) error {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("not a number")
			}
			if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi || (open && x == hi) {
				return fmt.Errorf("out of its domain %s", domain)
			}
			*field(c) = x
			return nil
		}}
}

func boolParam(name, help string, field func(c *SamplerConfig) *bool) Param {
	return Param{Name: name, Kind: "bool", Domain: "0 or 1", Help: help,
		get: func(c *SamplerConfig) string {
			if *field(c) {
				return "1"
			}
			return "0"
		},
		set: func(c *SamplerConfig, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want 0 or 1")
			}
			*field(c) = b
			return nil
		}}
}

// inf bounds the parameters whose domain is otherwise unbounded above:
// beyond 10⁶ an exponent, weight, rate or temperature only overflows.
const inf = 1e6

// paramTable is the table behind Params, in the order String writes it.
var paramTable = []Param{
	{Name: "adapter", Kind: "choice", Domain: "A or B", Help: "A: pooled vectors; B: token-level (needs the corpus's token states)",
		get: func(c *SamplerConfig) string {
			if c.Token {
				return "B"
			}
			return "A"
		},
		set: func(c *SamplerConfig, v string) error {
			switch v {
			case "A", "a":
				c.Token = false
			case "B", "b":
				c.Token = true
			default:
				return fmt.Errorf("want A (pooled) or B (token-level)")
			}
			return nil
		}},
	floatParam("lambda_ad", "[0, 10⁶]", "stage 3: weight of the adapter loss joined to InfoNCE (0: off)", 0, inf, false, func(c *SamplerConfig) *float64 { return &c.LambdaAd }),
	{Name: "base", Kind: "choice", Domain: "softmax, uniform, simans or positive-aware", Help: "s_HN, the distribution (1 − s_FN)^γ reweights",
		get: func(c *SamplerConfig) string { return string(c.Base) },
		set: func(c *SamplerConfig, v string) error {
			for _, b := range Bases {
				if string(b) == v {
					c.Base = b
					return nil
				}
			}
			return fmt.Errorf("want softmax, uniform, simans or positive-aware")
		}},
	floatParam("pa_margin", "[0, 10⁶]", "positive-aware base: drop candidates above s⁺ − margin·|s⁺|", 0, inf, false, func(c *SamplerConfig) *float64 { return &c.PAMargin }),
	intParam("k", "1 to 10000", "pool depth", 1, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.K }),
	floatParam("tau_hn", "(0, 10⁶]", "softmax base: temperature on the pool's logits", math.SmallestNonzeroFloat64, inf, false, func(c *SamplerConfig) *float64 { return &c.TauHN }),
	floatParam("a", "(0, 10⁶]", "simans base: a", math.SmallestNonzeroFloat64, inf, false, func(c *SamplerConfig) *float64 { return &c.SimA }),
	floatParam("b", "[−10⁶, 10⁶]", "simans base: b", -inf, inf, false, func(c *SamplerConfig) *float64 { return &c.SimB }),
	floatParam("gamma", "[0, 10⁶]", "γ, the exponent on 1 − s_FN", 0, inf, false, func(c *SamplerConfig) *float64 { return &c.Gamma }),
	floatParam("rho", "[0, 1]", "ρ, the share of slots given to random documents", 0, 1, false, func(c *SamplerConfig) *float64 { return &c.Rho }),
	floatParam("theta_fn", "[0, 1]", "drop candidates whose s_FN exceeds it (0 or 1: no gate)", 0, 1, false, func(c *SamplerConfig) *float64 { return &c.ThetaFN }),
	intParam("gate_top", "0 to 10000", "drop the j most suspect of the top gate_depth (0: off)", 0, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.GateTop }),
	intParam("gate_depth", "1 to 10000", "depth gate_top looks at", 1, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.GateDepth }),
	floatParam("self_train", "[0, 1)", "promote candidates with s_FN above θ to positives (0: off)", 0, 1, true, func(c *SamplerConfig) *float64 { return &c.SelfTrain }),
	intParam("self_train_max", "1 to 10000", "self-training: promotions per query per refresh", 1, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.SelfTrainMax }),
	intParam("folds", "1 to 100", "cross-fitting folds (1: one adapter for all queries)", 1, 100, func(c *SamplerConfig) *int { return &c.Folds }),
	intParam("k_lab", "1 to 10000", "labels: candidates per query", 1, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.Label.KLab }),
	intParam("k_pred", "1 to 10000", "labels: the bi-encoder predicts its top k_pred relevant", 1, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.Label.KPred }),
	intParam("random", "−1 to 10000", "labels: random corpus documents per query (−1: none)", -1, retrieval.MaxPoolK, func(c *SamplerConfig) *int { return &c.Label.Random }),
	intParam("epochs", "1 to 10000", "adapter fitting: epochs", 1, 10000, func(c *SamplerConfig) *int { return &c.Fit.Epochs }),
	floatParam("lr", "(0, 10⁶]", "adapter fitting: learning rate", math.SmallestNonzeroFloat64, inf, false, func(c *SamplerConfig) *float64 { return &c.Fit.LR }),
	floatParam("mu", "[0, 10⁶]", "loss: weight of the outcome head", 0, inf, false, func(c *SamplerConfig) *float64 { return &c.Fit.Loss.Mu }),
	floatParam("nu", "[0, 10⁶]", "loss: weight of the residual terms", 0, inf, false, func(c *SamplerConfig) *float64 { return &c.Fit.Loss.Nu }),
	floatParam("beta", "[0, 10⁶]", "loss: weight of L_norm", 0, inf, false, func(c *SamplerConfig) *float64 { return &c.Fit.Loss.Beta }),
	boolParam("no_balance", "labels: no class balancing", func(c *SamplerConfig) *bool { return &c.Label.NoBalance }),
	boolParam("no_residual", "adapter without the residual head", func(c *SamplerConfig) *bool { return &c.NoResidual }),
	boolParam("score_feature", "feed the bi-encoder's score q·c", func(c *SamplerConfig) *bool { return &c.ScoreFeature }),
	boolParam("rel_feature", "feed s − s⁺ of the other positives (query time: no other positive)", func(c *SamplerConfig) *bool { return &c.RelFeature }),
	boolParam("lex_feature", "feed the lexical match (BM25 / the query's best)", func(c *SamplerConfig) *bool { return &c.LexFeature }),
	boolParam("pos_feature", "feed the similarity to the other positives (query time: 0)", func(c *SamplerConfig) *bool { return &c.PosFeature }),
	boolParam("pos_lex_feature", "feed the TF-IDF similarity to the other positives (query time: 0)", func(c *SamplerConfig) *bool { return &c.PosLexFeature }),
	boolParam("no_vectors", "features only: drop z", func(c *SamplerConfig) *bool { return &c.NoVectors }),
}

// Params returns the table of RRRA parameters.
func Params() []Param { return paramTable }

// ParseParams overrides fields of cfg from "name=value,name=value",
// checking each value against its domain; later values win. It leaves
// cfg unchanged when it fails.
func ParseParams(s string, cfg *SamplerConfig) error {
	c := *cfg
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return fmt.Errorf("rrra parameter %q: want name=value", f)
		}
		p, ok := lookupParam(k)
		if !ok {
			return fmt.Errorf("rrra has no parameter %q (have %s)", k, paramNames())
		}
		if err := p.set(&c, v); err != nil {
			return fmt.Errorf("rrra parameter %s=%q: %v", k, v, err)
		}
	}
	*cfg = c
	return nil
}

func lookupParam(name string) (Param, bool) {
	for _, p := range paramTable {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func paramNames() string {
	names := make([]string, len(paramTable))
	for i, p := range paramTable {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// String writes every parameter as "name=value" in the table's order,
// space-separated, with the defaults NewSampler fills in: the run log's
// and the saved metadata's form. ParseParams reads it back (with commas).
func (c SamplerConfig) String() string {
	c = c.withDefaults()
	parts := make([]string, len(paramTable))
	for i, p := range paramTable {
		parts[i] = p.Name + "=" + p.get(&c)
	}
	return strings.Join(parts, " ")
}

// ParamsHelp describes every parameter with its default (from
// DefaultSamplerConfig) and domain, one per line, for -h texts.
func ParamsHelp() string {
	def := DefaultSamplerConfig().withDefaults()
	var b strings.Builder
	for _, p := range paramTable {
		fmt.Fprintf(&b, "  %-16s %s (%s; default %s)\n", p.Name, p.Help, p.Domain, p.get(&def))
	}
	return b.String()
}

// withDefaults fills the fields whose zero value means a default.
func (c SamplerConfig) withDefaults() SamplerConfig {
	if c.K == 0 {
		c.K = 100
	}
	if c.TauHN == 0 {
		c.TauHN = 1
	}
	if c.SimA == 0 {
		c.SimA = 0.5
	}
	if c.Base == "" {
		c.Base = BaseSoftmax
	}
	if c.PAMargin == 0 {
		c.PAMargin = 0.05
	}
	if c.GateDepth == 0 {
		c.GateDepth = 20
	}
	c.SelfTrainMax = max(1, c.SelfTrainMax)
	c.Folds = max(1, c.Folds)
	c.Label.defaults()
	c.Fit = c.Fit.withDefaults()
	return c
}

// Validate checks every field against its domain (after the defaults
// for zero values) and the combinations the sampler cannot serve.
func (c SamplerConfig) Validate() error {
	c = c.withDefaults()
	for _, p := range paramTable {
		// Each value must read back through its own parser.
		var probe SamplerConfig
		if err := p.set(&probe, p.get(&c)); err != nil {
			return fmt.Errorf("adapter: parameter %s=%s: %v", p.Name, p.get(&c), err)
		}
	}
	if c.NoVectors && (c.Token || (!c.ScoreFeature && !c.RelFeature && !c.LexFeature && !c.PosFeature && !c.PosLexFeature)) {
		return fmt.Errorf("adapter: no_vectors needs adapter A and at least one scalar feature")
	}
	return nil
}
