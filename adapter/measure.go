package adapter

import (
	"math"
	"sort"
)

// ROCAUC returns the area under the ROC curve of scores against binary
// labels: the probability that a random positive scores above a random
// negative, ties counting half (the Mann–Whitney statistic). It is NaN
// when either class is empty.
func ROCAUC(scores []float64, labels []bool) float64 {
	type sl struct {
		s   float64
		pos bool
	}
	v := make([]sl, len(scores))
	nPos := 0
	for i := range scores {
		v[i] = sl{scores[i], labels[i]}
		if labels[i] {
			nPos++
		}
	}
	nNeg := len(v) - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	sort.Slice(v, func(a, b int) bool { return v[a].s < v[b].s })
	// Sum of the positives' mid-ranks.
	rankSum := 0.0
	for i := 0; i < len(v); {
		j := i
		for j < len(v) && v[j].s == v[i].s {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if v[k].pos {
				rankSum += mid
			}
		}
		i = j
	}
	return (rankSum - float64(nPos)*float64(nPos+1)/2) / (float64(nPos) * float64(nNeg))
}

// PrecisionAtK returns the share of positives among the k highest scores
// (ties broken by position), or NaN when k < 1.
func PrecisionAtK(scores []float64, labels []bool, k int) float64 {
	if k < 1 {
		return math.NaN()
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	k = min(k, len(idx))
	hit := 0
	for _, i := range idx[:k] {
		if labels[i] {
			hit++
		}
	}
	return float64(hit) / float64(k)
}

// MacroF1 returns the mean over the outcome classes present in truth of
// the F1 of predicting each class.
func MacroF1(pred, truth []int32) float64 {
	var tp, fp, fn [numOutcomes]float64
	present := [numOutcomes]bool{}
	for i := range pred {
		present[truth[i]] = true
		if pred[i] == truth[i] {
			tp[truth[i]]++
		} else {
			fp[pred[i]]++
			fn[truth[i]]++
		}
	}
	sum, n := 0.0, 0
	for k := 0; k < numOutcomes; k++ {
		if !present[k] {
			continue
		}
		n++
		if tp[k] > 0 {
			sum += 2 * tp[k] / (2*tp[k] + fp[k] + fn[k])
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
