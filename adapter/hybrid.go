package adapter

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// A HybridRanker ranks a query's candidates, the union of the dense
// index's top K and BM25's top K, by a learned Fusion of their features,
// or, without one, by reciprocal rank fusion. Every candidate gets both
// scores exactly (the dense score of a BM25-only candidate is its inner
// product with the query vector; the BM25 score of a dense-only one is
// BM25.Score's, recorded by the BM25 search itself), so a candidate's
// features do not depend on which list found it beyond its ranks. Its
// methods may be called from several goroutines at once; a HybridRanker
// must not be copied after first use.
type HybridRanker struct {
	Index  index.Index
	BM25   *bm25.Index // over the same documents, numbered as Index
	K      int         // candidates from each list (0: 100)
	Scale  float32     // the dense scores' logit scale, 1/τ (0: 1)
	Fusion *Fusion     // nil: reciprocal rank fusion
	RRFK   float64     // the reciprocal rank fusion constant (0: 60)

	scratch sync.Pool // of *hybridScratch
}

// hybridScratch is one ranking's reusable memory: every document's BM25
// score and matched terms from the BM25 search, and which candidate
// holds each document.
type hybridScratch struct {
	ds    bm25.DocScores
	slot  []int32  // per document: its candidate, when stamp is current
	stamp []uint32 // per document
	gen   uint32
}

// A HybridCandidate is one document of a query's candidate set.
type HybridCandidate struct {
	Doc         int
	Dense, BM25 float32 // the two scores
	// DenseRank and BM25Rank are its ranks (from 1) in the two top-K
	// lists, 0 when it is not in one.
	DenseRank, BM25Rank int
	Feats               []float32 // FusionFeatureNames, in order
	Score               float32   // the fused score (Rank fills it)
}

func (h *HybridRanker) k() int {
	if h.K == 0 {
		return 100
	}
	return h.K
}

func (h *HybridRanker) rrfK() float64 {
	if h.RRFK == 0 {
		return 60
	}
	return h.RRFK
}

// check reports a ranker that cannot work.
func (h *HybridRanker) check() error {
	switch {
	case h.Index == nil || h.BM25 == nil:
		return fmt.Errorf("adapter: hybrid: needs the dense index and the BM25 index")
	case h.Index.Len() != h.BM25.Len():
		return fmt.Errorf("adapter: hybrid: the dense index holds %d documents and the BM25 index %d", h.Index.Len(), h.BM25.Len())
	case h.K < 0 || h.K > 10000:
		return fmt.Errorf("adapter: hybrid: depth %d: want 1 to 10000 (0: 100)", h.K)
	case !(h.Scale >= 0) || math.IsInf(float64(h.Scale), 0):
		return fmt.Errorf("adapter: hybrid: logit scale %v: want finite and ≥ 0 (0: 1)", h.Scale)
	case !(h.RRFK >= 0) || math.IsInf(h.RRFK, 0):
		return fmt.Errorf("adapter: hybrid: fusion constant %g: want finite and > 0 (0: 60)", h.RRFK)
	}
	return nil
}

// checkQuery reports a ranker that cannot work or a query vector of
// another dimension than the index's.
func (h *HybridRanker) checkQuery(qv []float32) error {
	if err := h.check(); err != nil {
		return err
	}
	if len(qv) != h.Index.Dim() {
		return fmt.Errorf("adapter: hybrid: a query vector of %d values for an index of dimension %d", len(qv), h.Index.Dim())
	}
	return nil
}

// Candidates returns the candidates of one query (its text, for BM25, and
// its vector, for the index) with their features, in document order.
func (h *HybridRanker) Candidates(query string, qv []float32) ([]HybridCandidate, error) {
	if err := h.checkQuery(qv); err != nil {
		return nil, err
	}
	return h.candidates(query, qv, h.Index.SearchOne(qv, h.k()), true), nil
}

// candidates builds the candidate set from the dense hits already found,
// in document order when sorted is true (the order changes no candidate's
// features; rank imposes its own total order).
func (h *HybridRanker) candidates(query string, qv []float32, dense []index.Hit, sorted bool) []HybridCandidate {
	sc, _ := h.scratch.Get().(*hybridScratch)
	if sc == nil {
		sc = &hybridScratch{}
	}
	defer h.scratch.Put(sc)
	lex := h.BM25.SearchScored(query, h.k(), &sc.ds)
	if n := h.Index.Len(); len(sc.slot) != n {
		sc.slot, sc.stamp, sc.gen = make([]int32, n), make([]uint32, n), 0
	}
	if sc.gen++; sc.gen == 0 {
		clear(sc.stamp)
		sc.gen = 1
	}
	cs := make([]HybridCandidate, 0, len(dense)+len(lex))
	add := func(doc int) *HybridCandidate {
		if sc.stamp[doc] == sc.gen {
			return &cs[sc.slot[doc]]
		}
		sc.stamp[doc], sc.slot[doc] = sc.gen, int32(len(cs))
		cs = append(cs, HybridCandidate{Doc: doc, Dense: float32(math.NaN()), BM25: float32(math.NaN())})
		return &cs[len(cs)-1]
	}
	for r, hit := range dense {
		c := add(hit.Doc)
		c.DenseRank, c.Dense = r+1, hit.Score
	}
	for r, hit := range lex {
		c := add(hit.Doc)
		c.BM25Rank, c.BM25 = r+1, hit.Score
	}
	bestDense := float32(math.Inf(-1))
	if len(dense) > 0 {
		bestDense = dense[0].Score
	}
	bestBM25 := float32(0)
	if len(lex) > 0 {
		bestBM25 = lex[0].Score
	}
	scale := h.Scale
	if scale == 0 {
		scale = 1
	}
	rrfK := h.rrfK()
	// Every candidate's BM25 score and term overlap, as the BM25 search
	// recorded them.
	terms := sc.ds.Terms()
	feats := make([]float32, len(cs)*numFusionFeatures)
	for i := range cs {
		c := &cs[i]
		if c.DenseRank == 0 {
			c.Dense = kernels.Dot(qv, h.Index.Vector(c.Doc))
		}
		lexScore, matched := sc.ds.Get(c.Doc)
		if c.BM25Rank == 0 {
			c.BM25 = lexScore
		}
		x := feats[i*numFusionFeatures : (i+1)*numFusionFeatures : (i+1)*numFusionFeatures]
		x[0] = max((c.Dense-bestDense)*scale, -30)
		x[1] = c.Dense
		if bestBM25 > 0 {
			x[2] = c.BM25 / bestBM25
		}
		x[3] = float32(math.Log1p(float64(c.BM25)))
		x[4], x[5] = rankDiscount(c.DenseRank), rankDiscount(c.BM25Rank)
		if terms > 0 {
			x[6] = float32(matched) / float32(terms)
		}
		x[7] = float32(math.Log1p(float64(terms)))
		rrf := 0.0
		for _, r := range []int{c.DenseRank, c.BM25Rank} {
			if r > 0 {
				rrf += 1 / (rrfK + float64(r))
			}
		}
		x[8] = float32(rrf * (rrfK + 1) / 2)
		c.Feats = x
	}
	// Both scores min-max normalised over the candidates: with them a
	// linear fusion can weigh the two lists as LinearFusionScores does.
	lin := LinearFusionScores(cs, 1)
	lex01 := LinearFusionScores(cs, 0)
	for i := range cs {
		cs[i].Feats[9], cs[i].Feats[10] = lin[i], lex01[i]
	}
	if sorted {
		slices.SortFunc(cs, func(a, b HybridCandidate) int { return a.Doc - b.Doc })
	}
	return cs
}

// Depth is how many candidates the ranker takes from each list: K, or
// 100 when K is 0.
func (h *HybridRanker) Depth() int { return h.k() }

// RankHits ranks one query's candidates as Rank does, from the dense
// index's hits for qv already found: dense must be the index's top Depth()
// for qv, in its order (as Index.Search gives them), so that a caller
// that searches many queries at once ranks each exactly as Rank would.
func (h *HybridRanker) RankHits(query string, qv []float32, dense []index.Hit, k int) ([]HybridCandidate, error) {
	if err := h.checkQuery(qv); err != nil {
		return nil, err
	}
	if want := min(h.k(), h.Index.Len()); len(dense) != want {
		return nil, fmt.Errorf("adapter: hybrid: %d dense hits; want the index's top %d", len(dense), want)
	}
	return h.rank(h.candidates(query, qv, dense, false), k), nil
}

// rankDiscount is 1/log2(1 + rank), 0 for no rank.
func rankDiscount(r int) float32 {
	if r < len(rankDiscounts) {
		return rankDiscounts[r]
	}
	return float32(1 / math.Log2(1+float64(r)))
}

// rankDiscounts holds rankDiscount's values for ranks below 1024, computed
// once (read only).
var rankDiscounts = func() (t [1024]float32) {
	for r := 1; r < len(t); r++ {
		t[r] = float32(1 / math.Log2(1+float64(r)))
	}
	return t
}()

// Rank returns one query's candidates fused and sorted, best first (ties:
// lower document number first), cut to k.
func (h *HybridRanker) Rank(query string, qv []float32, k int) ([]HybridCandidate, error) {
	if err := h.checkQuery(qv); err != nil {
		return nil, err
	}
	return h.rank(h.candidates(query, qv, h.Index.SearchOne(qv, h.k()), false), k), nil
}

// rank scores cs by the fusion (or reciprocal rank fusion) and sorts them.
func (h *HybridRanker) rank(cs []HybridCandidate, k int) []HybridCandidate {
	for i := range cs {
		if h.Fusion != nil {
			cs[i].Score = h.Fusion.Score(cs[i].Feats)
		} else {
			cs[i].Score = cs[i].Feats[8] * 2 / float32(h.rrfK()+1) // the RRF sum itself
		}
	}
	// Best first, ties to the lower document: one integer sort of
	// (score, candidate) keys, each run of equal scores then put in
	// document order, and the candidates placed in that order.
	keys := make([]uint64, len(cs))
	for i := range cs {
		keys[i] = uint64(^orderedBits(cs[i].Score))<<32 | uint64(i)
	}
	slices.Sort(keys)
	for lo := 0; lo < len(keys); {
		hi := lo + 1
		for hi < len(keys) && keys[hi]>>32 == keys[lo]>>32 {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(keys[lo:hi], func(a, b uint64) int { return cs[uint32(a)].Doc - cs[uint32(b)].Doc })
		}
		lo = hi
	}
	out := make([]HybridCandidate, min(k, len(cs)))
	for i := range out {
		out[i] = cs[uint32(keys[i])]
	}
	return out
}

// orderedBits maps a float32 to a uint32 of the same order (−0 as +0;
// NaN above +Inf), so that candidates sort on integers.
func orderedBits(x float32) uint32 {
	b := math.Float32bits(x + 0) // −0 + 0 = +0
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// Search ranks every query (texts, and their vectors qv, len(texts)·dim
// values) and returns the run, k per query, with document ids from the
// dense index.
func (h *HybridRanker) Search(qids, texts []string, qv []float32, k int) (metrics.Run, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	d := h.Index.Dim()
	if len(qv) != len(texts)*d || len(qids) != len(texts) {
		return nil, fmt.Errorf("adapter: hybrid: %d query ids, %d texts and %d vector values of dimension %d", len(qids), len(texts), len(qv), d)
	}
	dense := h.Index.Search(qv, len(texts), h.k())
	run := make(metrics.Run, len(qids))
	for q := range texts {
		cs := h.candidates(texts[q], qv[q*d:(q+1)*d], dense[q], false)
		rs := make([]metrics.Result, 0, k)
		for _, c := range h.rank(cs, k) {
			rs = append(rs, metrics.Result{DocID: h.Index.ID(c.Doc), Score: float64(c.Score)})
		}
		run[qids[q]] = rs
	}
	return run, nil
}

// AllCandidates returns the candidates of every query, the dense top K
// found in one batched search.
func (h *HybridRanker) AllCandidates(texts []string, qv []float32) ([][]HybridCandidate, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	d := h.Index.Dim()
	if len(qv) != len(texts)*d {
		return nil, fmt.Errorf("adapter: hybrid: %d query vector values for %d queries of dimension %d", len(qv), len(texts), d)
	}
	dense := h.Index.Search(qv, len(texts), h.k())
	out := make([][]HybridCandidate, len(texts))
	for q := range texts {
		out[q] = h.candidates(texts[q], qv[q*d:(q+1)*d], dense[q], true)
	}
	return out, nil
}

// LinearFusionScores scores candidates by α·dense + (1 − α)·BM25, each
// min-max normalised over the query's candidates: the linear fusion
// baseline with its one weight.
func LinearFusionScores(cs []HybridCandidate, alpha float64) []float32 {
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, c := range cs {
		for i, s := range [2]float32{c.Dense, c.BM25} {
			lo[i], hi[i] = min(lo[i], float64(s)), max(hi[i], float64(s))
		}
	}
	out := make([]float32, len(cs))
	for j, c := range cs {
		v := 0.0
		for i, s := range [2]float32{c.Dense, c.BM25} {
			w := alpha
			if i == 1 {
				w = 1 - alpha
			}
			if hi[i] > lo[i] {
				v += w * (float64(s) - lo[i]) / (hi[i] - lo[i])
			}
		}
		out[j] = float32(v)
	}
	return out
}

// FusionQueryOf makes the training (or evaluation) form of one query's
// candidates: their features, their gains under judged (document →
// relevance, as a qrels row), and the gains of every judged document.
func FusionQueryOf(cs []HybridCandidate, judged map[int]float32) FusionQuery {
	q := FusionQuery{Feats: make([][]float32, len(cs)), Gain: make([]float32, len(cs))}
	for i, c := range cs {
		q.Feats[i] = c.Feats
		if g := judged[c.Doc]; g > 0 {
			q.Gain[i] = g
		}
	}
	for _, g := range judged {
		if g > 0 {
			q.Ideal = append(q.Ideal, g)
		}
	}
	return q
}

// FusionQueries encodes queries with enc, finds their candidates over
// corpus (encoded into a fresh index by enc) and bm, and returns them in
// the form TrainFusion fits: features, and gains from qrels (the judged
// relevance of each candidate, by document id). k is the depth of each
// list (0: 100).
func FusionQueries(enc *retrieval.Encoder, corpus *retrieval.TrainData, bm *bm25.Index, queries []beir.Query, qrels beir.Qrels, k int) ([]FusionQuery, error) {
	ix, err := retrieval.IndexCorpus(enc, corpus, nil)
	if err != nil {
		return nil, err
	}
	h := &HybridRanker{Index: ix, BM25: bm, K: k, Scale: enc.LogitScale()}
	qids, texts := retrieval.QueryTexts(queries)
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return nil, err
	}
	all, err := h.AllCandidates(texts, qv)
	if err != nil {
		return nil, err
	}
	docOf := make(map[string]int, len(corpus.DocIDs))
	for i, id := range corpus.DocIDs {
		docOf[id] = i
	}
	out := make([]FusionQuery, len(all))
	for q, cs := range all {
		judged := map[int]float32{}
		for id, g := range qrels[qids[q]] {
			if doc, ok := docOf[id]; ok {
				judged[doc] = float32(g)
			}
		}
		out[q] = FusionQueryOf(cs, judged)
	}
	return out, nil
}

// DefaultFusionConfigs returns the configurations rrra chooses among with
// SelectFusion: a linear model and one tanh layer of 8 or 16 units (with
// a little weight decay).
func DefaultFusionConfigs() []FusionConfig {
	return []FusionConfig{{Hidden: 0, Seed: 1}, {Hidden: 8, Seed: 1, L2: 1e-3}, {Hidden: 16, Seed: 1, L2: 1e-3}}
}

// FitFusion fits a Fusion for hybrid search over d on features out of
// sample for the dense model (FusionTrainingSet), choosing among
// DefaultFusionConfigs by cross-fitted nDCG@10 over them all (SelectFusion,
// 5 folds). (Fitted on the scores of a model trained on the same queries,
// a fusion learns to trust the dense list, which does not hold on new
// queries.) log, when not nil, receives a line per half and the choice.
func FitFusion(d *beir.Dataset, trainQrels beir.Qrels, train func(half beir.Qrels) (*retrieval.Encoder, error), log io.Writer) (*Fusion, error) {
	queries, err := FusionTrainingSet(d, trainQrels, train, log)
	if err != nil {
		return nil, err
	}
	f, _, err := SelectFusionLogged(queries, log)
	return f, err
}

// SelectFusionLogged runs SelectFusion over DefaultFusionConfigs with 5
// folds (fewer with fewer queries) and writes its choice to log (nil:
// nowhere).
func SelectFusionLogged(queries []FusionQuery, log io.Writer) (*Fusion, FusionConfig, error) {
	if log == nil {
		log = io.Discard
	}
	configs := DefaultFusionConfigs()
	f, chosen, means, err := SelectFusion(queries, configs, min(5, len(queries)))
	if err != nil {
		return nil, FusionConfig{}, err
	}
	fmt.Fprintf(log, "fusion: chose hidden %d by cross-fitted nDCG@10 over %d queries:", chosen.Hidden, len(queries))
	for i, c := range configs {
		fmt.Fprintf(log, " %.4f (hidden %d)", means[i], c.Hidden)
	}
	fmt.Fprintln(log)
	return f, chosen, nil
}

// FusionTrainingSet returns the training queries (trainQrels) in the form
// TrainFusion fits, with features out of sample for the dense model: the
// queries are halved (retrieval.SplitDev at 0.5), train makes a model
// trained on each half only, and each half's candidates and features come
// from the model trained on the other. The second half's queries follow
// the first's. log, when not nil, receives a line per half.
func FusionTrainingSet(d *beir.Dataset, trainQrels beir.Qrels, train func(half beir.Qrels) (*retrieval.Encoder, error), log io.Writer) ([]FusionQuery, error) {
	if log == nil {
		log = io.Discard
	}
	a, b := retrieval.SplitDev(trainQrels, 0.5)
	if len(a) < 2 || len(b) < 2 {
		return nil, fmt.Errorf("adapter: fusion: %d training queries; it needs at least 4, two per half", len(trainQrels))
	}
	corpus := retrieval.NewCorpusData(d)
	bm := retrieval.BuildBM25(corpus)
	var queries []FusionQuery
	for i, half := range []beir.Qrels{a, b} {
		other := b
		if i == 1 {
			other = a
		}
		began := time.Now()
		enc, err := train(half)
		if err != nil {
			return nil, fmt.Errorf("adapter: fusion: training on half %d of the queries: %w", i+1, err)
		}
		q, err := FusionQueries(enc, corpus, bm, d.SplitQueries(other), other, 100)
		if err != nil {
			return nil, err
		}
		queries = append(queries, q...)
		fmt.Fprintf(log, "fusion: trained on half %d of the training queries (%d) in %.0fs; features of the other %d\n", i+1, len(half), time.Since(began).Seconds(), len(other))
	}
	return queries, nil
}

// LinearFusion returns the linear fusion baseline as a Fusion: α times the
// dense score plus 1 − α times BM25's, each min-max normalised over the
// query's candidates (LinearFusionScores, the features dense_minmax and
// bm25_minmax), so that a HybridRanker, search and serve can rank with it.
func LinearFusion(alpha float64) *Fusion {
	f := &Fusion{Mean: make([]float32, numFusionFeatures), Std: make([]float32, numFusionFeatures), U: make([]float32, numFusionFeatures)}
	for j := range f.Std {
		f.Std[j] = 1
	}
	f.U[9], f.U[10] = float32(alpha), float32(1-alpha)
	return f
}

// TuneLinearFusion chooses the linear fusion's weight α from 0, 0.05, …,
// 1 by mean nDCG@10 over queries (ties: the smaller α) and returns it
// with that mean.
func TuneLinearFusion(queries []FusionQuery) (alpha, ndcg float64) {
	ndcg = -1
	for i := 0; i <= 20; i++ {
		a := float64(i) / 20
		f := LinearFusion(a)
		sum := 0.0
		for _, q := range queries {
			sum += q.NDCG10(f.ScoreAll(q.Feats))
		}
		if m := sum / float64(max(1, len(queries))); m > ndcg {
			alpha, ndcg = a, m
		}
	}
	return alpha, ndcg
}
