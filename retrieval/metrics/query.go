package metrics

import (
	"math"
	"slices"
)

// A judgedRanking is one query's ranking reduced to what the measures need.
type judgedRanking struct {
	// gains holds the judgment of each retrieved document in rank order,
	// with 0 for documents that are unjudged or judged 0 or less: every
	// measure here treats those alike (trec_eval gives negative judgments
	// zero gain and never counts them relevant).
	gains []int
	// ideal holds the query's positive judgments in descending order: the
	// gains of the ideal ranking.
	ideal []int
}

// newJudgedRanking ranks results in trec_eval's order and looks up their
// judgments in judged.
func newJudgedRanking(judged map[string]int, results []Result) judgedRanking {
	var jr judgedRanking
	for _, r := range ranked(results) {
		jr.gains = append(jr.gains, max(judged[r.DocID], 0))
	}
	for _, rel := range judged {
		if rel >= 1 {
			jr.ideal = append(jr.ideal, rel)
		}
	}
	slices.SortFunc(jr.ideal, func(a, b int) int { return b - a })
	return jr
}

// numRel is the number of relevant documents judged for the query.
func (jr judgedRanking) numRel() int { return len(jr.ideal) }

// top returns the gains of the first k retrieved documents, or of all of
// them when fewer were retrieved.
func (jr judgedRanking) top(k int) []int {
	return jr.gains[:min(k, len(jr.gains))]
}

// countRel returns the number of relevant documents among gains.
func countRel(gains []int) int {
	n := 0
	for _, g := range gains {
		if g >= 1 {
			n++
		}
	}
	return n
}

// dcg returns the discounted cumulative gain of gains: Σ g_i / log2(i+2)
// over 0-based ranks i.
func dcg(gains []int) float64 {
	sum := 0.0
	for i, g := range gains {
		if g > 0 {
			sum += float64(g) / math.Log2(float64(i+2))
		}
	}
	return sum
}

// ndcg returns the nDCG of the top k (all, if k < 0), with the ideal DCG
// from the query's judgments cut at the same depth; 0 when the query has no
// relevant document.
func (jr judgedRanking) ndcg(k int) float64 {
	gains, ideal := jr.gains, jr.ideal
	if k >= 0 {
		gains, ideal = jr.top(k), ideal[:min(k, len(ideal))]
	}
	idcg := dcg(ideal)
	if idcg <= 0 {
		return 0
	}
	return dcg(gains) / idcg
}

// averagePrecision returns the sum of the precision at each relevant
// document among the top k (all, if k < 0), divided by the number of
// relevant documents judged; 0 when there are none.
func (jr judgedRanking) averagePrecision(k int) float64 {
	if jr.numRel() == 0 {
		return 0
	}
	gains := jr.gains
	if k >= 0 {
		gains = jr.top(k)
	}
	sum, found := 0.0, 0
	for i, g := range gains {
		if g >= 1 {
			found++
			sum += float64(found) / float64(i+1)
		}
	}
	return sum / float64(jr.numRel())
}

// reciprocalRank returns 1/rank of the first relevant document among the top
// k (all, if k < 0), or 0 if there is none.
func (jr judgedRanking) reciprocalRank(k int) float64 {
	gains := jr.gains
	if k >= 0 {
		gains = jr.top(k)
	}
	for i, g := range gains {
		if g >= 1 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// value returns m for the query.
func (jr judgedRanking) value(m measure) float64 {
	switch m.kind {
	case kindMap:
		return jr.averagePrecision(-1)
	case kindMapCut:
		return jr.averagePrecision(m.k)
	case kindNDCG:
		return jr.ndcg(-1)
	case kindNDCGCut:
		return jr.ndcg(m.k)
	case kindP:
		return float64(countRel(jr.top(m.k))) / float64(m.k)
	case kindRecall:
		if jr.numRel() == 0 {
			return 0
		}
		return float64(countRel(jr.top(m.k))) / float64(jr.numRel())
	case kindRecipRank:
		return jr.reciprocalRank(-1)
	case kindMRRCut:
		return jr.reciprocalRank(m.k)
	case kindNumRel:
		return float64(jr.numRel())
	case kindNumRelRet:
		return float64(countRel(jr.gains))
	case kindNumRet:
		return float64(len(jr.gains))
	}
	panic("metrics: unhandled measure kind")
}
