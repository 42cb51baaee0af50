package retrieval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SampleInput is what a sampler sees for one training query at one step.
type SampleInput struct {
	Query     int         // the training query's index
	Positives []int32     // its known positive documents, sorted
	PosScore  float32     // the miner's score of the positive trained on at this step
	Cands     []Candidate // its mined pool, best first, known positives removed
	NumDocs   int         // documents in the corpus
}

// SampleStats count what the samplers kept and dropped, for the run log.
type SampleStats struct {
	Queries  int            // queries sampled for
	Sampled  int            // negatives returned
	Dropped  map[string]int // pool candidates a filter removed, by filter
	Fallback int            // negatives drawn uniformly from the corpus because the pool ran short
}

// Drop counts n pool candidates removed by the filter called reason.
func (s *SampleStats) Drop(reason string, n int) {
	if n == 0 {
		return
	}
	if s.Dropped == nil {
		s.Dropped = make(map[string]int)
	}
	s.Dropped[reason] += n
}

// String summarises s on one line.
func (s *SampleStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d negatives for %d queries", s.Sampled, s.Queries)
	keys := make([]string, 0, len(s.Dropped))
	for k := range s.Dropped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, ", %d dropped by %s", s.Dropped[k], k)
	}
	if s.Fallback > 0 {
		fmt.Fprintf(&b, ", %d drawn uniformly because the pool ran short", s.Fallback)
	}
	return b.String()
}

// PoolSource names where a sampler's pool of candidates comes from.
type PoolSource string

// The pool sources.
const (
	// PoolNone: the sampler reads no pool (random negatives).
	PoolNone PoolSource = ""
	// PoolBM25: BM25's top k, mined once.
	PoolBM25 PoolSource = "bm25"
	// PoolDense: the model's own top k, mined before the first step that
	// needs it and again at every refresh.
	PoolDense PoolSource = "dense"
	// PoolFile: negatives given up front (a training file from rrra
	// mine, Trainer.FixedPool), used as they are and never re-mined.
	PoolFile PoolSource = "file"
)

// A Sampler picks hard negatives for a query from its mined pool.
type Sampler interface {
	// Name is the sampler's CLI name.
	Name() string
	// Params lists its parameters for the run log, as "k=100 a=0.5".
	Params() string
	// PoolSource says which pool it reads (see PoolSource).
	PoolSource() PoolSource
	// PoolK is how many candidates per query it needs in the pool.
	PoolK() int
	// Sample appends n distinct negatives for in to dst, none of them a
	// known positive, and counts what it dropped in st.
	Sample(rng *rand.Rand, in *SampleInput, n int, dst []int32, st *SampleStats) []int32
}

// A PoolObserver is a Sampler that must see every pool before sampling
// from it: the RRRA sampler re-labels, re-fits its adapter and caches its
// false-negative estimates there. The trainer calls ObservePool after each
// mining pass with the vectors the pool was mined from (nil for a BM25
// pool).
type PoolObserver interface {
	ObservePool(p *Pool, td *TrainData, queryVecs, docVecs []float32, dim int) error
}

// A StateSaver is a Sampler or an AuxLoss with state of its own that a
// checkpoint must carry for a resumed run to continue exactly as the
// uninterrupted one (the RRRA sampler's adapters and estimates). The
// trainer restores it after the pool, and after ObservePool has seen the
// restored pool.
type StateSaver interface {
	MarshalState() ([]byte, error)
	UnmarshalState(b []byte) error
}

// MaxPoolK is the deepest pool a sampler may ask for: 10,000 candidates
// per query (a pool of 10⁵ queries then holds 10⁹ entries).
const MaxPoolK = 10000

// SamplerNames lists the built-in samplers.
var SamplerNames = []string{"random", "bm25", "topk-uniform", "simans", "positive-aware"}

// NewSampler returns the built-in sampler called name, with its defaults
// overridden by params ("k=200,a=1"): random; bm25 (uniform over the BM25
// top k, k=100); topk-uniform (ANCE: uniform over the model's top k, k=100);
// simans (k=100, a=0.5, b=0); positive-aware (NV-Retriever's TopK-PercPos:
// k=100, margin=0.05). Each parameter is checked against its domain: k a
// whole number from 1 to MaxPoolK, a > 0, b finite, margin 0 to 1; a
// parameter given twice or unknown to the sampler is refused.
func NewSampler(name, params string) (Sampler, error) {
	kv := map[string]float64{}
	if params != "" {
		for _, f := range strings.Split(params, ",") {
			k, v, ok := strings.Cut(f, "=")
			k = strings.TrimSpace(k)
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			switch {
			case !ok || err != nil || k == "":
				return nil, fmt.Errorf("retrieval: sampler parameter %q: want name=number", f)
			case math.IsNaN(x) || math.IsInf(x, 0):
				return nil, fmt.Errorf("retrieval: sampler parameter %s=%g: want a finite number", k, x)
			}
			if _, dup := kv[k]; dup {
				return nil, fmt.Errorf("retrieval: sampler parameter %s is given twice", k)
			}
			kv[k] = x
		}
	}
	// Every parameter's domain: k a pool depth of 1 to MaxPoolK (a pool
	// holds k candidates per query), a > 0, b and margin finite.
	if k, ok := kv["k"]; ok && (k < 1 || k > MaxPoolK || k != math.Trunc(k)) {
		return nil, fmt.Errorf("retrieval: sampler %s: k=%g: want a whole number from 1 to %d", name, k, MaxPoolK)
	}
	if a, ok := kv["a"]; ok && !(a > 0) {
		return nil, fmt.Errorf("retrieval: sampler %s: a=%g: want a > 0", name, a)
	}
	if m, ok := kv["margin"]; ok && (m < 0 || m > 1) {
		return nil, fmt.Errorf("retrieval: sampler %s: margin=%g: want 0 to 1", name, m)
	}
	get := func(k string, def float64) float64 {
		if v, ok := kv[k]; ok {
			delete(kv, k)
			return v
		}
		return def
	}
	var s Sampler
	switch name {
	case "random":
		s = Random{}
	case "bm25":
		s = TopKUniform{K: int(get("k", 100)), Source: "bm25"}
	case "topk-uniform":
		s = TopKUniform{K: int(get("k", 100)), Source: "dense"}
	case "simans":
		s = SimANS{K: int(get("k", 100)), A: get("a", 0.5), B: get("b", 0)}
	case "positive-aware":
		s = PositiveAware{K: int(get("k", 100)), Margin: get("margin", 0.05)}
	default:
		return nil, fmt.Errorf("retrieval: unknown sampler %q (have %s)", name, strings.Join(SamplerNames, ", "))
	}
	for k := range kv {
		return nil, fmt.Errorf("retrieval: sampler %s has no parameter %q", name, k)
	}
	if k := s.PoolK(); s.PoolSource() != "" && k < 1 {
		return nil, fmt.Errorf("retrieval: sampler %s: k=%d", name, k)
	}
	return s, nil
}

// Random draws negatives uniformly from the whole corpus.
type Random struct{}

// Name implements Sampler.
func (Random) Name() string { return "random" }

// Params implements Sampler.
func (Random) Params() string { return "" }

// PoolSource implements Sampler.
func (Random) PoolSource() PoolSource { return PoolNone }

// PoolK implements Sampler.
func (Random) PoolK() int { return 0 }

// Sample draws n distinct non-positive documents uniformly.
func (Random) Sample(rng *rand.Rand, in *SampleInput, n int, dst []int32, st *SampleStats) []int32 {
	st.Queries++
	out := FillUniform(rng, in, n, dst, len(dst))
	st.Sampled += len(out) - len(dst)
	return out
}

// FillUniform appends documents drawn uniformly from the corpus, skipping
// known positives and those already in dst[from:], until dst[from:] has n
// (or the corpus has no more to give).
func FillUniform(rng *rand.Rand, in *SampleInput, n int, dst []int32, from int) []int32 {
	avail := in.NumDocs - len(in.Positives)
	for len(dst)-from < n && len(dst)-from < avail {
		d := int32(rng.IntN(in.NumDocs))
		if _, pos := slices.BinarySearch(in.Positives, d); pos || slices.Contains(dst[from:], d) {
			continue
		}
		dst = append(dst, d)
	}
	return dst
}

// TopKUniform draws negatives uniformly without replacement from the top K
// of the pool: ANCE's sampler on a dense pool ("topk-uniform"), DPR's
// BM25 negatives on a BM25 pool ("bm25"), and the negatives of a training
// file ("file").
type TopKUniform struct {
	K      int
	Source PoolSource // PoolBM25, PoolDense or PoolFile
}

// Name implements Sampler.
func (s TopKUniform) Name() string {
	switch s.Source {
	case "bm25":
		return "bm25"
	case "file":
		return "file"
	}
	return "topk-uniform"
}

// Params implements Sampler.
func (s TopKUniform) Params() string { return fmt.Sprintf("k=%d", s.K) }

// PoolSource implements Sampler.
func (s TopKUniform) PoolSource() PoolSource { return s.Source }

// PoolK implements Sampler.
func (s TopKUniform) PoolK() int { return s.K }

// Sample draws n of the top K uniformly, without replacement.
func (s TopKUniform) Sample(rng *rand.Rand, in *SampleInput, n int, dst []int32, st *SampleStats) []int32 {
	st.Queries++
	cands := in.Cands[:min(len(in.Cands), s.K)]
	return takeUniform(rng, in, cands, n, dst, st)
}

// takeUniform appends n of cands drawn uniformly without replacement (a
// partial Fisher–Yates shuffle over their positions), then fills from the
// corpus if cands run short.
func takeUniform(rng *rand.Rand, in *SampleInput, cands []Candidate, n int, dst []int32, st *SampleStats) []int32 {
	from := len(dst)
	idx := make([]int, len(cands))
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < n && i < len(idx); i++ {
		j := i + rng.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
		dst = append(dst, cands[idx[i]].Doc)
	}
	return finish(rng, in, n, dst, from, st)
}

// finish tops dst[from:] up to n from the corpus and updates the counts.
func finish(rng *rand.Rand, in *SampleInput, n int, dst []int32, from int, st *SampleStats) []int32 {
	have := len(dst) - from
	dst = FillUniform(rng, in, n, dst, from)
	st.Fallback += len(dst) - from - have
	st.Sampled += len(dst) - from
	return dst
}

// SimANS samples negatives from the top K with probability
// p_i ∝ exp(−a·(s_i − s⁺ − b)²), favouring "ambiguous" negatives whose
// score is near the positive's (Zhou et al., 2022). Scores are the miner's
// (the model's logits for a dense pool). s⁺ is the score of the positive
// trained on at this step, computed directly at mining time, so it is
// known whether or not the positive made the pool. Sampling is without
// replacement by the Gumbel-top-n trick, entirely in log space: the n
// largest of log p_i + G_i with G_i standard Gumbel.
type SimANS struct {
	K    int
	A, B float64
}

// Name implements Sampler.
func (SimANS) Name() string { return "simans" }

// Params implements Sampler.
func (s SimANS) Params() string { return fmt.Sprintf("k=%d a=%g b=%g", s.K, s.A, s.B) }

// PoolSource implements Sampler.
func (SimANS) PoolSource() PoolSource { return PoolDense }

// PoolK implements Sampler.
func (s SimANS) PoolK() int { return s.K }

// Sample draws n distinct negatives with SimANS's weights.
func (s SimANS) Sample(rng *rand.Rand, in *SampleInput, n int, dst []int32, st *SampleStats) []int32 {
	st.Queries++
	cands := in.Cands[:min(len(in.Cands), s.K)]
	logw := make([]float64, len(cands))
	for i, c := range cands {
		d := float64(c.Score) - float64(in.PosScore) - s.B
		logw[i] = -s.A * d * d
	}
	from := len(dst)
	for _, i := range GumbelTop(rng, logw, n) {
		dst = append(dst, cands[i].Doc)
	}
	return finish(rng, in, n, dst, from, st)
}

// GumbelTop returns the positions of the n largest logw[i] + Gumbel noise:
// a draw of n items without replacement with probabilities ∝ exp(logw),
// in the order drawn. A weight of −Inf is never drawn. It consumes exactly
// one rng.Float64 per item (more only for the rare exact 0), so samplers
// built on it with the same weights and stream draw the same items.
func GumbelTop(rng *rand.Rand, logw []float64, n int) []int {
	type key struct {
		k float64
		i int
	}
	keys := make([]key, len(logw))
	for i, lw := range logw {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		keys[i] = key{lw - math.Log(-math.Log(u)), i}
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].k != keys[b].k {
			return keys[a].k > keys[b].k
		}
		return keys[a].i < keys[b].i
	})
	out := make([]int, 0, min(n, len(keys)))
	for _, k := range keys[:min(n, len(keys))] {
		if math.IsInf(k.k, -1) {
			break
		}
		out = append(out, k.i)
	}
	return out
}

// PositiveAware is NV-Retriever's TopK-PercPos (Moreira et al., 2024): from
// the top K, drop every candidate scoring above s⁺ − |s⁺|·Margin (likely
// false negatives: as good as the positive, or nearly), then take the n
// best of the rest.
type PositiveAware struct {
	K      int
	Margin float64
}

// Name implements Sampler.
func (PositiveAware) Name() string { return "positive-aware" }

// Params implements Sampler.
func (s PositiveAware) Params() string { return fmt.Sprintf("k=%d margin=%g", s.K, s.Margin) }

// PoolSource implements Sampler.
func (PositiveAware) PoolSource() PoolSource { return PoolDense }

// PoolK implements Sampler.
func (s PositiveAware) PoolK() int { return s.K }

// PositiveAwareLimit returns TopK-PercPos's threshold for a positive
// scoring posScore: candidates scoring above posScore − margin·|posScore|
// are too close to the positive to be trusted as negatives.
func PositiveAwareLimit(posScore float32, margin float64) float64 {
	sp := float64(posScore)
	return sp - math.Abs(sp)*margin
}

// Sample takes the n best candidates under the threshold.
func (s PositiveAware) Sample(rng *rand.Rand, in *SampleInput, n int, dst []int32, st *SampleStats) []int32 {
	st.Queries++
	cands := in.Cands[:min(len(in.Cands), s.K)]
	limit := PositiveAwareLimit(in.PosScore, s.Margin)
	from := len(dst)
	dropped := 0
	for _, c := range cands {
		if float64(c.Score) > limit {
			dropped++
			continue
		}
		if len(dst)-from == n {
			break
		}
		dst = append(dst, c.Doc)
	}
	st.Drop("positive-aware threshold", dropped)
	return finish(rng, in, n, dst, from, st)
}
