package adapter

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
)

// LabelConfig sets how training pairs are drawn from a mining pass.
type LabelConfig struct {
	KLab   int     // candidates from the top of each query's ranking (0: 200)
	Random int     // random corpus documents per query (0: 8; <0: none)
	KPred  int     // the bi-encoder "predicts relevant" within this rank (0: 20)
	RTN    float64 // kept negatives FP:TN = 1:RTN (0: 1)
	RNeg   float64 // at most RNeg kept negatives per positive (0: 8)
	// NoBalance keeps every candidate with weight 1 (the "w/o class
	// balancing" ablation).
	NoBalance bool
	Seed      uint64
}

func (c *LabelConfig) defaults() {
	if c.KLab == 0 {
		c.KLab = 200
	}
	if c.Random == 0 {
		c.Random = 8
	}
	if c.KPred == 0 {
		c.KPred = 20
	}
	if c.RTN == 0 {
		c.RTN = 1
	}
	if c.RNeg == 0 {
		c.RNeg = 8
	}
}

// A Pair is one labelled (query, candidate) pair for the adapter.
type Pair struct {
	Query  int32   // training query index
	Doc    int32   // corpus index
	Y      float32 // 1 if the qrels judge it relevant
	Rank   int32   // its rank in the bi-encoder's ranking, 1-based; 0 beyond KLab
	Class  int32   // TP, FN, FP or TN
	Weight float32 // class weight (1 without balancing)
	// Extra holds the pair features of PairFeatures: s − s⁺, a flag for
	// "no other positive", the lexical match and the similarity to the
	// other positives.
	Extra [numExtra]float32
}

// PairFeatures fills each pair's Extra: its bi-encoder score (q·c, from
// the vectors) minus s⁺, the best score among the query's labelled
// positives other than the candidate itself, and 0; or 0 and 1 when the
// query has no other positive; with lex, the lexical match (else 0);
// max_p c·p over the other positives' document vectors (0 without); and,
// with lex, max_p of their texts' TF-IDF cosine (Lexical.DocSim; else 0).
// Leaving the candidate out makes a labelled positive look, to the
// adapter, as an unlabelled relevant document would.
func PairFeatures(td *retrieval.TrainData, qv, dv []float32, dim int, pairs []Pair, lex *Lexical) {
	dot := func(q, d int32) float64 {
		s := 0.0
		for i := 0; i < dim; i++ {
			s += float64(qv[int(q)*dim+i]) * float64(dv[int(d)*dim+i])
		}
		return s
	}
	for i := range pairs {
		p := &pairs[i]
		best, near, nearLex := math.Inf(-1), math.Inf(-1), float32(0)
		for _, pos := range td.Positives[p.Query] {
			if pos != p.Doc {
				best = math.Max(best, dot(p.Query, pos))
				near = math.Max(near, float64(kernels.Dot(dv[int(p.Doc)*dim:int(p.Doc+1)*dim], dv[int(pos)*dim:int(pos+1)*dim])))
				if lex != nil {
					nearLex = max(nearLex, lex.DocSim(td.Docs, int(p.Doc), int(pos)))
				}
			}
		}
		var x float32
		if lex != nil {
			x = lex.Score(td.Queries[p.Query], int(p.Doc))
		}
		if math.IsInf(best, -1) {
			p.Extra = [numExtra]float32{0, 1, x, 0, 0}
			continue
		}
		p.Extra = [numExtra]float32{float32(dot(p.Query, p.Doc) - best), 0, x, float32(near), nearLex}
	}
}

// classWeights returns the weight of each outcome class given how many
// pairs each has: N/(4·N_k), clipped to [0.25, 4] and renormalised so that
// the pairs' mean weight is 1 (0 for a class without pairs).
func classWeights(count [numOutcomes]int) [numOutcomes]float32 {
	var w [numOutcomes]float64
	n, mean := 0, 0.0
	for _, c := range count {
		n += c
	}
	for k, c := range count {
		if c > 0 {
			w[k] = min(4, max(0.25, float64(n)/(4*float64(c))))
			mean += w[k] * float64(c)
		}
	}
	mean /= float64(n)
	var out [numOutcomes]float32
	for k := range w {
		out[k] = float32(w[k] / mean)
	}
	return out
}

// LabelStats counts the candidates and the kept pairs by class.
type LabelStats struct {
	Candidates [numOutcomes]int
	Kept       [numOutcomes]int
	Weights    [numOutcomes]float32
}

// String summarises s on one line.
func (s LabelStats) String() string {
	out := ""
	for k := 0; k < numOutcomes; k++ {
		out += fmt.Sprintf("%s %d/%d (w %.2f)  ", OutcomeNames[k], s.Kept[k], s.Candidates[k], s.Weights[k])
	}
	return out + "kept/candidates"
}

// Label draws the adapter's training pairs from one mining pass: for each
// training query, its positives, the top KLab of the bi-encoder's ranking
// (qv against dv, exact) and Random random documents; y from the qrels, the
// bi-encoder's prediction from rank ≤ KPred, hence the outcome class. With
// balancing, every positive is kept and negatives are sampled per query so
// that FP:TN = 1:RTN and negatives ≤ RNeg·positives, and each class is
// weighted N/(4·N_k), clipped to [0.25, 4] and renormalised to mean 1.
// The pairs' features come from PairFeatures (lex may be nil).
func Label(td *retrieval.TrainData, qv, dv []float32, dim int, cfg LabelConfig, lex *Lexical) ([]Pair, LabelStats, error) {
	cfg.defaults()
	nq, nd := len(td.Queries), len(td.Docs)
	if len(qv) != nq*dim || len(dv) != nd*dim {
		return nil, LabelStats{}, fmt.Errorf("adapter: Label: %d query and %d document values for %d and %d vectors of %d",
			len(qv), len(dv), nq, nd, dim)
	}
	ix := index.New(dim)
	if err := ix.Add(td.DocIDs, dv); err != nil {
		return nil, LabelStats{}, err
	}
	hits := ix.Search(qv, nq, cfg.KLab)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x1abe1))
	var st LabelStats
	var pairs []Pair
	for q := 0; q < nq; q++ {
		pos := td.Positives[q]
		isPos := func(d int32) bool { _, ok := slices.BinarySearch(pos, d); return ok }
		rank := make(map[int32]int32, len(hits[q])+len(pos)+cfg.Random)
		var cands []Pair
		add := func(d int32, r int32) {
			if _, seen := rank[d]; seen {
				return
			}
			rank[d] = r
			p := Pair{Query: int32(q), Doc: d, Rank: r}
			pred := r > 0 && int(r) <= cfg.KPred
			if isPos(d) {
				p.Y = 1
			}
			p.Class = outcome(p.Y == 1, pred)
			cands = append(cands, p)
		}
		for i, h := range hits[q] {
			add(int32(h.Doc), int32(i+1))
		}
		for _, d := range pos {
			add(d, 0)
		}
		for i := 0; i < cfg.Random && len(rank) < nd; {
			d := int32(rng.IntN(nd))
			if _, seen := rank[d]; !seen {
				add(d, 0)
				i++
			}
		}
		var byClass [numOutcomes][]Pair
		for _, p := range cands {
			st.Candidates[p.Class]++
			byClass[p.Class] = append(byClass[p.Class], p)
		}
		if cfg.NoBalance {
			pairs = append(pairs, cands...)
			continue
		}
		nPos := len(byClass[TP]) + len(byClass[FN])
		budget := int(math.Ceil(cfg.RNeg * float64(nPos)))
		nFP := min(len(byClass[FP]), int(math.Round(float64(budget)/(1+cfg.RTN))))
		nTN := min(len(byClass[TN]), budget-nFP)
		nFP = min(len(byClass[FP]), budget-nTN)
		pairs = append(pairs, byClass[TP]...)
		pairs = append(pairs, byClass[FN]...)
		for _, k := range []int{FP, TN} {
			c := byClass[k]
			rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		}
		pairs = append(pairs, byClass[FP][:nFP]...)
		pairs = append(pairs, byClass[TN][:nTN]...)
	}
	for _, p := range pairs {
		st.Kept[p.Class]++
	}
	for k := range st.Weights {
		st.Weights[k] = 1
	}
	if !cfg.NoBalance && len(pairs) > 0 {
		st.Weights = classWeights(st.Kept)
	}
	for i := range pairs {
		pairs[i].Weight = st.Weights[pairs[i].Class]
	}
	PairFeatures(td, qv, dv, dim, pairs, lex)
	return pairs, st, nil
}
