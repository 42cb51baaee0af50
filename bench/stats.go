package bench

import (
	"math"
	"slices"
	"time"
)

// Summary condenses the samples of one table cell (GFLOP/s, one per round).
// N is 0 when nothing was measured.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// Summarize returns the median, minimum and maximum of xs. The median of an
// even count is the mean of the two middle values.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{Median: med, Min: s[0], Max: s[n-1], N: n}
}

// Ratio returns a.Median / b.Median, the ratio of medians; ok is false when
// either side has no samples or b's median is not positive.
func Ratio(a, b Summary) (r float64, ok bool) {
	if a.N == 0 || b.N == 0 || b.Median <= 0 {
		return 0, false
	}
	return a.Median / b.Median, true
}

// Time measures f and returns seconds per call and the number of calls
// timed. The first call is timed; if it took at least minTime it is the
// sample (a call that slow gains nothing from a warm-up), otherwise it is
// discarded as a warm-up and f is repeated until minTime has elapsed.
func Time(f func(), minTime time.Duration) (secPerOp float64, reps int) {
	t0 := time.Now()
	f()
	if first := time.Since(t0); first >= minTime {
		return first.Seconds(), 1
	}
	t0 = time.Now()
	for {
		f()
		reps++
		if el := time.Since(t0); el >= minTime {
			return el.Seconds() / float64(reps), reps
		}
	}
}

// MaxDiff returns the largest |x[i]-y[i]| and the largest |x[i]|, to judge
// whether two peers computed the same product; diff is NaN when any
// element is NaN. x and y must have the same length.
func MaxDiff(x, y []float32) (diff, scale float64) {
	for i := range x {
		d := math.Abs(float64(x[i]) - float64(y[i]))
		if math.IsNaN(d) {
			return math.NaN(), scale
		}
		diff = max(diff, d)
		scale = max(scale, math.Abs(float64(x[i])))
	}
	return diff, scale
}
