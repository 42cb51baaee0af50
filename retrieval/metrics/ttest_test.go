package metrics

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func sample(vals ...float64) map[string]float64 {
	m := make(map[string]float64, len(vals))
	for i, v := range vals {
		m[strconv.Itoa(i+1)] = v
	}
	return m
}

// TestPairedTTestSleep checks the textbook example: Student's sleep data
// (Cushny and Peebles), as in R's example(t.test):
// t.test(extra ~ group, data = sleep, paired = TRUE) gives
// t = -4.0621, df = 9, p-value = 0.002833, mean difference -1.58.
func TestPairedTTestSleep(t *testing.T) {
	drug1 := sample(0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0)
	drug2 := sample(1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4)
	got, err := PairedTTest(drug1, drug2)
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 10 || got.DF != 9 || math.Abs(got.T-(-4.0621)) > 5e-5 ||
		math.Abs(got.P-0.002833) > 5e-7 || math.Abs(got.MeanDiff-(-1.58)) > 1e-12 {
		t.Errorf("got %+v, want N 10, DF 9, T -4.0621, P 0.002833, MeanDiff -1.58", got)
	}
}

// TestPairedTTestFormula checks T against the one-pass textbook formula
// t = Σd / √((nΣd² − (Σd)²)/(n−1)), and P, for 1 and 2 degrees of freedom,
// against the closed forms of Student's t: 1 − (2/π)·atan|t| and
// 1 − |t|/√(2+t²).
func TestPairedTTestFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 2 + trial%30
		a, b := map[string]float64{}, map[string]float64{}
		shift := rng.NormFloat64() * 0.3
		for i := range n {
			q := "q" + strconv.Itoa(i)
			a[q] = rng.Float64()
			b[q] = a[q] + shift + rng.NormFloat64()*0.2
		}
		b["only-b"], a["only-a"] = 5, -5 // not in both: ignored
		got, err := PairedTTest(a, b)
		if err != nil {
			t.Fatal(err)
		}
		var sum, sumSq float64
		for q, v := range b {
			if w, ok := a[q]; ok {
				d := w - v
				sum += d
				sumSq += d * d
			}
		}
		fn := float64(n)
		wantT := sum / math.Sqrt((fn*sumSq-sum*sum)/(fn-1))
		if got.N != n || got.DF != n-1 || math.Abs(got.T-wantT) > 1e-9*math.Max(1, math.Abs(wantT)) ||
			math.Abs(got.MeanDiff-sum/fn) > 1e-12 {
			t.Fatalf("n %d: got %+v, want T %v, mean diff %v", n, got, wantT, sum/fn)
		}
		var wantP float64
		switch got.DF {
		case 1:
			wantP = 1 - 2/math.Pi*math.Atan(math.Abs(got.T))
		case 2:
			wantP = 1 - math.Abs(got.T)/math.Sqrt(2+got.T*got.T)
		default:
			continue
		}
		if math.Abs(got.P-wantP) > 1e-9 {
			t.Errorf("df %d, t %v: P = %v, want %v", got.DF, got.T, got.P, wantP)
		}
	}
}

func TestPairedTTestDegenerate(t *testing.T) {
	same, err := PairedTTest(sample(1, 2, 3), sample(1, 2, 3))
	if err != nil || same.T != 0 || same.P != 1 {
		t.Errorf("identical samples: %+v, %v; want T 0, P 1", same, err)
	}
	shifted, err := PairedTTest(sample(1.5, 2.5, 3.5), sample(1, 2, 3))
	if err != nil || !math.IsInf(shifted.T, 1) || shifted.P != 0 {
		t.Errorf("constant difference: %+v, %v; want T +Inf, P 0", shifted, err)
	}
	tests := []struct {
		name string
		a, b map[string]float64
		want string
	}{
		{"one common query", sample(1, 2), map[string]float64{"1": 3, "x": 4}, "1 queries in both"},
		{"none in common", sample(1, 2), map[string]float64{"x": 1}, "no query in both"},
		{"NaN", sample(1, math.NaN()), sample(1, 2), `query "2"`},
	}
	for _, tt := range tests {
		if _, err := PairedTTest(tt.a, tt.b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
