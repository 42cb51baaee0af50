package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// A TTest is the outcome of a paired t-test.
type TTest struct {
	N        int     // queries in both samples
	MeanDiff float64 // mean of a − b over those queries
	T        float64 // t statistic, MeanDiff / (s_d / √N)
	DF       int     // degrees of freedom, N − 1
	P        float64 // two-sided p-value from Student's t with DF degrees of freedom
}

// PairedTTest runs a two-sided paired t-test of a against b (per-query
// values of two systems, such as a Report.PerQuery column) over the queries
// present in both. It needs at least two such queries. When every difference
// is the same, the test degenerates: T is 0 and P is 1 if the differences are
// all 0, and T is ±Inf and P is 0 otherwise.
func PairedTTest(a, b map[string]float64) (TTest, error) {
	d, err := differences(a, b)
	if err != nil {
		return TTest{}, fmt.Errorf("metrics: t-test: %w", err)
	}
	n := len(d)
	if n < 2 {
		return TTest{}, fmt.Errorf("metrics: t-test: %d queries in both samples, need at least 2", n)
	}
	mean := 0.0
	for _, x := range d {
		mean += x
	}
	mean /= float64(n)
	ss := 0.0
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	res := TTest{N: n, MeanDiff: mean, DF: n - 1}
	se := math.Sqrt(ss / float64(n-1) / float64(n))
	switch {
	case se > 0:
		res.T = mean / se
		res.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(res.DF)}.Survival(math.Abs(res.T))
		res.P = min(res.P, 1)
	case mean == 0:
		res.T, res.P = 0, 1
	default:
		res.T, res.P = math.Inf(int(math.Copysign(1, mean))), 0
	}
	return res, nil
}

// differences returns a[q] − b[q] for the queries q in both, in the order
// WriteRun uses for query ids.
func differences(a, b map[string]float64) ([]float64, error) {
	ids := make([]string, 0, min(len(a), len(b)))
	for q := range a {
		if _, ok := b[q]; ok {
			ids = append(ids, q)
		}
	}
	slices.SortFunc(ids, compareQueryIDs)
	d := make([]float64, len(ids))
	for i, q := range ids {
		d[i] = a[q] - b[q]
		if math.IsNaN(d[i]) || math.IsInf(d[i], 0) {
			return nil, fmt.Errorf("query %q: values %v and %v do not differ by a finite number", q, a[q], b[q])
		}
	}
	if len(d) == 0 {
		return nil, errors.New("no query in both samples")
	}
	return d, nil
}
