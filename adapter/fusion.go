package adapter

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rrra/rrra/tensor"
)

// FusionFeatureNames names the features a Fusion scores a hybrid
// candidate by, in order (see HybridRanker.Candidates for each one's
// definition). They exist at query time: no feature reads a judgement.
var FusionFeatureNames = []string{
	"dense_gap",    // (s − s_best)·scale: the dense logit below the query's best
	"dense_score",  // s, the raw dense score
	"bm25_rel",     // BM25 / the query's best BM25 (0 to 1)
	"bm25_log",     // log(1 + BM25)
	"dense_rank",   // 1/log2(1 + rank) in the dense top K, 0 outside
	"bm25_rank",    // 1/log2(1 + rank) in the BM25 top K, 0 outside
	"overlap",      // share of the query's distinct terms the document holds
	"query_terms",  // log(1 + distinct query terms)
	"rrf",          // reciprocal rank fusion (k = 60), scaled to at most 1
	"dense_minmax", // the dense score min-max normalised over the query's candidates
	"bm25_minmax",  // BM25 min-max normalised over the query's candidates
}

// numFusionFeatures is len(FusionFeatureNames).
const numFusionFeatures = 11

// A Fusion scores hybrid candidates from their features: a linear term
// plus, when Hidden > 0, a one-hidden-layer perceptron (tanh), over the
// features standardised by the training set's mean and deviation:
//
//	score(x) = u·x̂ + v·tanh(W·x̂ + b),   x̂ = (x − mean) / std
//
// Only the order of a query's scores matters: TrainFusion fits them with
// a listwise softmax loss.
type Fusion struct {
	Mean, Std []float32 // per feature
	U         []float32 // linear weights, per feature
	W         []float32 // Hidden × features, row-major
	B, V      []float32 // per hidden unit
	Hidden    int
}

// FusionConfig sets TrainFusion.
type FusionConfig struct {
	Hidden int     // hidden units (0: linear)
	Epochs int     // full-batch Adam steps (0: 300)
	LR     float64 // Adam's step size (0: 0.01)
	L2     float64 // weight decay on U, W and V
	Seed   uint64  // initialisation of W
}

// A FusionQuery is one training or evaluation query: its candidates'
// features, their gains (the judged relevance, 0 when unjudged), and the
// gains of every document judged relevant for it, retrieved or not (the
// ideal ranking of nDCG).
type FusionQuery struct {
	Feats [][]float32
	Gain  []float32
	Ideal []float32
}

func (c FusionConfig) withDefaults() FusionConfig {
	if c.Epochs == 0 {
		c.Epochs = 300
	}
	if c.LR == 0 {
		c.LR = 0.01
	}
	return c
}

// validate checks c's fields against their domains.
func (c FusionConfig) validate() error {
	switch {
	case c.Hidden < 0 || c.Hidden > 256:
		return fmt.Errorf("adapter: fusion: hidden %d: want 0 to 256", c.Hidden)
	case c.Epochs < 1 || c.Epochs > 100000:
		return fmt.Errorf("adapter: fusion: epochs %d: want 1 to 100000", c.Epochs)
	case !(c.LR > 0 && c.LR <= 1):
		return fmt.Errorf("adapter: fusion: learning rate %g: want above 0, at most 1", c.LR)
	case !(c.L2 >= 0 && c.L2 <= 1):
		return fmt.Errorf("adapter: fusion: weight decay %g: want 0 to 1", c.L2)
	}
	return nil
}

// Score returns the fusion score of one candidate's features x.
func (f *Fusion) Score(x []float32) float32 {
	var xs [numFusionFeatures]float64
	f.standardise(x, xs[:])
	s := 0.0
	for j, v := range xs {
		s += float64(f.U[j]) * v
	}
	for h := 0; h < f.Hidden; h++ {
		a := float64(f.B[h])
		for j, v := range xs {
			a += float64(f.W[h*numFusionFeatures+j]) * v
		}
		s += float64(f.V[h]) * math.Tanh(a)
	}
	return float32(s)
}

func (f *Fusion) standardise(x []float32, dst []float64) {
	for j := range dst {
		dst[j] = (float64(x[j]) - float64(f.Mean[j])) / float64(f.Std[j])
	}
}

// TrainFusion fits a Fusion to queries by full-batch Adam on the listwise
// softmax loss: per query, the cross-entropy between the softmax of its
// candidates' scores and their gains normalised to sum to one. Queries
// whose candidates hold no positive gain teach nothing and are skipped.
// The result depends only on queries and cfg.
func TrainFusion(queries []FusionQuery, cfg FusionConfig) (*Fusion, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var used []FusionQuery
	n := 0
	for qi, q := range queries {
		if len(q.Feats) != len(q.Gain) {
			return nil, fmt.Errorf("adapter: fusion: query %d has %d feature rows and %d gains", qi, len(q.Feats), len(q.Gain))
		}
		total := float32(0)
		for i, x := range q.Feats {
			if len(x) != numFusionFeatures {
				return nil, fmt.Errorf("adapter: fusion: query %d, candidate %d: %d features, want %d", qi, i, len(x), numFusionFeatures)
			}
			for j, v := range x {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, fmt.Errorf("adapter: fusion: query %d, candidate %d: feature %s is %v", qi, i, FusionFeatureNames[j], v)
				}
			}
			if !(q.Gain[i] >= 0) {
				return nil, fmt.Errorf("adapter: fusion: query %d, candidate %d: gain %v", qi, i, q.Gain[i])
			}
			total += q.Gain[i]
		}
		if total > 0 {
			used = append(used, q)
			n += len(q.Feats)
		}
	}
	if len(used) == 0 {
		return nil, errors.New("adapter: fusion: no query has a relevant candidate to learn from")
	}
	f := &Fusion{Hidden: cfg.Hidden, Mean: make([]float32, numFusionFeatures), Std: make([]float32, numFusionFeatures),
		U: make([]float32, numFusionFeatures), W: make([]float32, cfg.Hidden*numFusionFeatures),
		B: make([]float32, cfg.Hidden), V: make([]float32, cfg.Hidden)}
	// Standardisation over every candidate of the queries used.
	for j := 0; j < numFusionFeatures; j++ {
		sum, sq := 0.0, 0.0
		for _, q := range used {
			for _, x := range q.Feats {
				sum += float64(x[j])
				sq += float64(x[j]) * float64(x[j])
			}
		}
		mean := sum / float64(n)
		std := math.Sqrt(max(sq/float64(n)-mean*mean, 0))
		if std < 1e-6 {
			std = 1 // a constant feature: it cannot order candidates
		}
		f.Mean[j], f.Std[j] = float32(mean), float32(std)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x66757369))
	for i := range f.W {
		f.W[i] = float32(rng.NormFloat64() / math.Sqrt(numFusionFeatures))
	}
	for i := range f.V {
		f.V[i] = float32(rng.NormFloat64() * 0.1)
	}
	p := newFusionParams(f)
	m, v := make([]float64, len(p.vals)), make([]float64, len(p.vals))
	grad := make([]float64, len(p.vals))
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	for step := 1; step <= cfg.Epochs; step++ {
		clear(grad)
		p.lossGrad(used, grad)
		for i := range grad {
			if p.decay[i] {
				grad[i] += cfg.L2 * p.vals[i]
			}
			m[i] = beta1*m[i] + (1-beta1)*grad[i]
			v[i] = beta2*v[i] + (1-beta2)*grad[i]*grad[i]
			mh := m[i] / (1 - math.Pow(beta1, float64(step)))
			vh := v[i] / (1 - math.Pow(beta2, float64(step)))
			p.vals[i] -= cfg.LR * mh / (math.Sqrt(vh) + eps)
		}
	}
	p.store(f)
	return f, nil
}

// fusionParams are a Fusion's trainable values in float64, flat: U, W, B, V.
type fusionParams struct {
	hidden int
	mean   []float64
	std    []float64
	vals   []float64
	decay  []bool // weight decay applies (not to the biases B)
}

func newFusionParams(f *Fusion) *fusionParams {
	p := &fusionParams{hidden: f.Hidden}
	for j := range f.Mean {
		p.mean = append(p.mean, float64(f.Mean[j]))
		p.std = append(p.std, float64(f.Std[j]))
	}
	for _, part := range []struct {
		v     []float32
		decay bool
	}{{f.U, true}, {f.W, true}, {f.B, false}, {f.V, true}} {
		for _, x := range part.v {
			p.vals = append(p.vals, float64(x))
			p.decay = append(p.decay, part.decay)
		}
	}
	return p
}

// store copies the values back into f.
func (p *fusionParams) store(f *Fusion) {
	i := 0
	for _, dst := range [][]float32{f.U, f.W, f.B, f.V} {
		for j := range dst {
			dst[j] = float32(p.vals[i])
			i++
		}
	}
}

// lossGrad adds the gradient of the mean listwise loss over queries to
// grad and returns the loss.
func (p *fusionParams) lossGrad(queries []FusionQuery, grad []float64) float64 {
	const F = numFusionFeatures
	H := p.hidden
	u, w := p.vals[:F], p.vals[F:F+H*F]
	b, v := p.vals[F+H*F:F+H*F+H], p.vals[F+H*F+H:]
	gu, gw := grad[:F], grad[F:F+H*F]
	gb, gv := grad[F+H*F:F+H*F+H], grad[F+H*F+H:]
	loss := 0.0
	var xs []float64
	var hs []float64
	var scores []float64
	inv := 1 / float64(len(queries))
	for _, q := range queries {
		nc := len(q.Feats)
		xs = slices.Grow(xs[:0], nc*F)[:nc*F]
		hs = slices.Grow(hs[:0], nc*H)[:nc*H]
		scores = slices.Grow(scores[:0], nc)[:nc]
		for i, x := range q.Feats {
			xi := xs[i*F : (i+1)*F]
			for j := range xi {
				xi[j] = (float64(x[j]) - p.mean[j]) / p.std[j]
			}
			s := 0.0
			for j, xv := range xi {
				s += u[j] * xv
			}
			for h := 0; h < H; h++ {
				a := b[h]
				for j, xv := range xi {
					a += w[h*F+j] * xv
				}
				hs[i*H+h] = math.Tanh(a)
				s += v[h] * hs[i*H+h]
			}
			scores[i] = s
		}
		// Softmax over the candidates, and the target distribution.
		mx := slices.Max(scores)
		z, total := 0.0, 0.0
		for i := range scores {
			z += math.Exp(scores[i] - mx)
			total += float64(q.Gain[i])
		}
		logZ := mx + math.Log(z)
		for i := range scores {
			t := float64(q.Gain[i]) / total
			if t > 0 {
				loss -= inv * t * (scores[i] - logZ)
			}
			g := inv * (math.Exp(scores[i]-logZ) - t) // d loss / d score_i
			xi := xs[i*F : (i+1)*F]
			for j, xv := range xi {
				gu[j] += g * xv
			}
			for h := 0; h < H; h++ {
				hv := hs[i*H+h]
				gv[h] += g * hv
				da := g * v[h] * (1 - hv*hv)
				gb[h] += da
				for j, xv := range xi {
					gw[h*F+j] += da * xv
				}
			}
		}
	}
	return loss
}

// NDCG10 returns the nDCG@10 of ranking q's candidates by scores, with
// trec_eval's gains (the judged relevance) and q.Ideal for the ideal
// ranking; ties are broken by candidate order.
func (q FusionQuery) NDCG10(scores []float32) float64 {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	dcg := 0.0
	for r, i := range order[:min(10, len(order))] {
		dcg += float64(q.Gain[i]) / math.Log2(float64(r)+2)
	}
	ideal := slices.Clone(q.Ideal)
	slices.SortFunc(ideal, func(a, b float32) int { return cmp.Compare(b, a) })
	idcg := 0.0
	for r, g := range ideal[:min(10, len(ideal))] {
		idcg += float64(g) / math.Log2(float64(r)+2)
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// SelectFusion chooses among configs by cross-fitted nDCG@10: each
// config is trained on all folds but one and scored on the held-out one,
// queries in fold q mod folds, and the config with the best mean over
// every query is trained again on all queries and returned with the
// cross-fitted means of every config (in the order given).
func SelectFusion(queries []FusionQuery, configs []FusionConfig, folds int) (*Fusion, FusionConfig, []float64, error) {
	if len(configs) == 0 || folds < 2 || folds > len(queries) {
		return nil, FusionConfig{}, nil, fmt.Errorf("adapter: fusion: %d configs, %d folds for %d queries: want at least one config and 2 ≤ folds ≤ queries", len(configs), folds, len(queries))
	}
	means := make([]float64, len(configs))
	best := 0
	for ci, cfg := range configs {
		sum := 0.0
		for fo := 0; fo < folds; fo++ {
			var train, held []FusionQuery
			for qi, q := range queries {
				if qi%folds == fo {
					held = append(held, q)
				} else {
					train = append(train, q)
				}
			}
			f, err := TrainFusion(train, cfg)
			if err != nil {
				return nil, FusionConfig{}, nil, err
			}
			for _, q := range held {
				sum += q.NDCG10(f.ScoreAll(q.Feats))
			}
		}
		means[ci] = sum / float64(len(queries))
		if means[ci] > means[best] {
			best = ci
		}
	}
	f, err := TrainFusion(queries, configs[best])
	if err != nil {
		return nil, FusionConfig{}, nil, err
	}
	return f, configs[best], means, nil
}

// ScoreAll returns the scores of a query's candidates.
func (f *Fusion) ScoreAll(feats [][]float32) []float32 {
	out := make([]float32, len(feats))
	for i, x := range feats {
		out[i] = f.Score(x)
	}
	return out
}

// FusionFile is the name of a saved Fusion in a model folder.
const FusionFile = "rrra_fusion.safetensors"

const fusionFormat = "rrra-fusion-1"

// Save writes f to path as safetensors, atomically, with the feature
// names in its metadata so that a reader with other features refuses it.
func (f *Fusion) Save(path string) error {
	t := func(v []float32, dims ...int) *tensor.Tensor {
		return &tensor.Tensor{Shape: tensor.S(dims...), Data: v}
	}
	named := []tensor.Named{{Name: "mean", Tensor: t(f.Mean, numFusionFeatures)}, {Name: "std", Tensor: t(f.Std, numFusionFeatures)},
		{Name: "u", Tensor: t(f.U, numFusionFeatures)}}
	if f.Hidden > 0 {
		named = append(named, tensor.Named{Name: "w", Tensor: t(f.W, f.Hidden, numFusionFeatures)},
			tensor.Named{Name: "b", Tensor: t(f.B, f.Hidden)}, tensor.Named{Name: "v", Tensor: t(f.V, f.Hidden)})
	}
	meta := map[string]string{"format": fusionFormat, "features": strings.Join(FusionFeatureNames, ","), "hidden": strconv.Itoa(f.Hidden)}
	return tensor.WriteSafetensorsFile(path, named, meta)
}

// LoadFolderFusion reads the Fusion a model folder holds (FusionFile in
// dir), and returns nil and no error when it holds none; any other
// failure to read it is an error naming the file.
func LoadFolderFusion(dir string) (*Fusion, error) {
	path := filepath.Join(dir, FusionFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("adapter: %w", err)
	}
	return LoadFusion(path)
}

// LoadFusion reads a Fusion written by Save, refusing another format,
// other features, a missing or misshapen tensor, a non-finite value and a
// deviation that is not positive.
func LoadFusion(path string) (*Fusion, error) {
	sf, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (*Fusion, error) {
		return nil, fmt.Errorf("adapter: %s: %s", path, fmt.Sprintf(format, args...))
	}
	if sf.Metadata["format"] != fusionFormat {
		return fail("field format is %q, want %q", sf.Metadata["format"], fusionFormat)
	}
	if got := sf.Metadata["features"]; got != strings.Join(FusionFeatureNames, ",") {
		return fail("field features is %q; this build computes %q", got, strings.Join(FusionFeatureNames, ","))
	}
	hidden, err := strconv.Atoi(sf.Metadata["hidden"])
	if err != nil || hidden < 0 || hidden > 256 {
		return fail("field hidden is %q; want 0 to 256", sf.Metadata["hidden"])
	}
	f := &Fusion{Hidden: hidden}
	want := map[string][]int{"mean": {numFusionFeatures}, "std": {numFusionFeatures}, "u": {numFusionFeatures}}
	if hidden > 0 {
		want["w"], want["b"], want["v"] = []int{hidden, numFusionFeatures}, []int{hidden}, []int{hidden}
	}
	if len(sf.Tensors) != len(want) {
		return fail("holds %d tensors, want %d", len(sf.Tensors), len(want))
	}
	dst := map[string]*[]float32{"mean": &f.Mean, "std": &f.Std, "u": &f.U, "w": &f.W, "b": &f.B, "v": &f.V}
	for name, dims := range want {
		tt := sf.Tensors[name]
		if tt == nil || !slices.Equal(tt.Shape.Dims(), dims) {
			return fail("tensor %q is missing or not shaped %v", name, dims)
		}
		if ok, at := tt.Finite(); !ok {
			return fail("tensor %q holds %v at element %d", name, tt.Data[at], at)
		}
		*dst[name] = tt.Data
	}
	for j, s := range f.Std {
		if !(s > 0) {
			return fail("tensor \"std\" holds %v for feature %s; want > 0", s, FusionFeatureNames[j])
		}
	}
	if hidden == 0 {
		f.W, f.B, f.V = nil, nil, nil
	}
	return f, nil
}
