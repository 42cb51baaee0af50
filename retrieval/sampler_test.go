package retrieval

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func testInput() *SampleInput {
	in := &SampleInput{Positives: []int32{3, 7}, PosScore: 10, NumDocs: 50}
	for i, s := range []float32{12, 10.5, 10, 9.6, 9, 8, 7, 5, 2, -1} {
		in.Cands = append(in.Cands, Candidate{Doc: int32(10 + i), Score: s})
	}
	return in
}

// TestSamplersContract checks every built-in sampler returns n distinct
// documents, none a known positive, and falls back to the corpus when its
// pool runs short.
func TestSamplersContract(t *testing.T) {
	for _, name := range SamplerNames {
		s, err := NewSampler(name, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 4, 10, 15} {
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			var st SampleStats
			in := testInput()
			got := s.Sample(rng, in, n, []int32{99}, &st)
			if got[0] != 99 || len(got) != n+1 {
				t.Errorf("%s n=%d: %v does not append n to dst", name, n, got)
				continue
			}
			neg := got[1:]
			sorted := slices.Clone(neg)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != n {
				t.Errorf("%s n=%d: repeated negatives %v", name, n, neg)
			}
			for _, d := range neg {
				if d == 3 || d == 7 || d < 0 || d >= 50 {
					t.Errorf("%s n=%d: negative %d is a positive or out of range", name, n, d)
				}
			}
			if st.Sampled != n || st.Queries != 1 {
				t.Errorf("%s n=%d: stats %+v", name, n, st)
			}
			fromPool := 0
			for _, d := range neg {
				if d >= 10 && d < 20 {
					fromPool++
				}
			}
			if s.PoolSource() != "" && n <= 4 && fromPool != n {
				t.Errorf("%s n=%d: %d of %v from the pool", name, n, fromPool, neg)
			}
			if s.PoolSource() != "" && st.Fallback != n-fromPool && name != "random" {
				// Fallback draws may land in the pool's range by chance,
				// so only check the count does not exceed what was needed.
				if st.Fallback > n-min(n, 6) && n > 6 {
					t.Errorf("%s n=%d: %d fallback draws", name, n, st.Fallback)
				}
			}
		}
	}
}

// TestSimANSDistribution compares SimANS's single draws over many trials
// with p_i ∝ exp(−a(s_i − s⁺ − b)²) computed here in float64.
func TestSimANSDistribution(t *testing.T) {
	for _, s := range []SimANS{{K: 10, A: 0.5, B: 0}, {K: 6, A: 0.2, B: -1}} {
		in := testInput()
		want := make([]float64, s.K)
		sum := 0.0
		for i := 0; i < s.K; i++ {
			d := float64(in.Cands[i].Score) - 10 - s.B
			want[i] = math.Exp(-s.A * d * d)
			sum += want[i]
		}
		const trials = 200000
		counts := make([]float64, 10)
		rng := rand.New(rand.NewPCG(7, 7))
		var st SampleStats
		for i := 0; i < trials; i++ {
			d := s.Sample(rng, in, 1, nil, &st)
			counts[d[0]-10]++
		}
		for i := range want {
			p := want[i] / sum
			got := counts[i] / trials
			// 5 standard errors of a binomial proportion.
			if tol := 5 * math.Sqrt(p*(1-p)/trials); math.Abs(got-p) > tol+1e-9 {
				t.Errorf("%+v: candidate %d drawn %.4f of the time, want %.4f ± %.4f", s, i, got, p, tol)
			}
		}
		for i := s.K; i < 10; i++ {
			if counts[i] != 0 {
				t.Errorf("%+v: candidate %d beyond k drawn %v times", s, i, counts[i])
			}
		}
	}
}

// TestSimANSWithoutReplacement checks the second draw of a pair follows the
// conditional distribution of sampling without replacement.
func TestSimANSWithoutReplacement(t *testing.T) {
	s := SimANS{K: 3, A: 0.5}
	in := &SampleInput{PosScore: 0, NumDocs: 10, Cands: []Candidate{{0, 0}, {1, 1}, {2, 2}}}
	w := []float64{1, math.Exp(-0.5), math.Exp(-2)}
	sum := w[0] + w[1] + w[2]
	// P(second = j) = Σ_{i≠j} p_i · w_j / (sum − w_i).
	want := make([]float64, 3)
	for j := range w {
		for i := range w {
			if i != j {
				want[j] += w[i] / sum * w[j] / (sum - w[i])
			}
		}
	}
	const trials = 200000
	counts := make([]float64, 3)
	rng := rand.New(rand.NewPCG(3, 3))
	var st SampleStats
	for i := 0; i < trials; i++ {
		d := s.Sample(rng, in, 2, nil, &st)
		counts[d[1]]++
	}
	for j := range want {
		if got := counts[j] / trials; math.Abs(got-want[j]) > 5*math.Sqrt(want[j]*(1-want[j])/trials) {
			t.Errorf("second draw %d: %.4f, want %.4f", j, got, want[j])
		}
	}
}

func TestPositiveAware(t *testing.T) {
	s := PositiveAware{K: 10, Margin: 0.05}
	var st SampleStats
	// s⁺ = 10: threshold 9.5 drops 12, 10.5, 10 and 9.6; the best of the
	// rest are 9, 8, 7.
	got := s.Sample(rand.New(rand.NewPCG(1, 1)), testInput(), 3, nil, &st)
	if !reflect.DeepEqual(got, []int32{14, 15, 16}) || st.Dropped["positive-aware threshold"] != 4 || st.Fallback != 0 {
		t.Errorf("got %v, stats %+v", got, st)
	}
	// A negative positive score: the threshold is s⁺ − |s⁺|·m = −2.1.
	in := testInput()
	in.PosScore = -2
	got = s.Sample(rand.New(rand.NewPCG(1, 1)), in, 1, nil, &st)
	if len(got) != 1 || (got[0] >= 10 && got[0] < 20) {
		t.Errorf("every candidate is above −2.1, so the draw must come from the corpus: %v", got)
	}
}

func TestNewSampler(t *testing.T) {
	s, err := NewSampler("simans", "k=200, a=1,b=-0.5")
	if err != nil || !reflect.DeepEqual(s, SimANS{K: 200, A: 1, B: -0.5}) || s.Params() != "k=200 a=1 b=-0.5" {
		t.Errorf("%+v %v", s, err)
	}
	for _, tc := range []struct{ name, params, want string }{
		{"simans", "c=1", `no parameter "c"`},
		{"simans", "k", "want name=number"},
		{"rrra", "", "unknown sampler"},
		{"topk-uniform", "k=0", "k=0"},
		// Out of their domains: each used to be accepted (NaN weights
		// made every sampling probability NaN; a huge k allocated a pool
		// of k per query).
		{"bm25", "k=-1", "k=-1: want a whole number"},
		{"bm25", "k=99999999999999", "want a whole number from 1 to 10000"},
		{"bm25", "k=2.5", "k=2.5"},
		{"topk-uniform", "k=1,k=2", "k is given twice"},
		{"simans", "a=NaN", "a=NaN: want a finite number"},
		{"simans", "a=Inf", "a=+Inf: want a finite number"},
		{"simans", "b=-Inf", "b=-Inf: want a finite number"},
		{"simans", "a=-1", "a=-1: want a > 0"},
		{"simans", "a=0", "a=0: want a > 0"},
		{"simans", "=5", "want name=number"},
		{"positive-aware", "margin=NaN", "margin=NaN: want a finite number"},
		{"positive-aware", "margin=-0.1", "margin=-0.1: want 0 to 1"},
		{"positive-aware", "margin=2", "margin=2: want 0 to 1"},
	} {
		if _, err := NewSampler(tc.name, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v, want %q", tc.name, tc.params, err, tc.want)
		}
	}
}

func TestPoolRoundTrip(t *testing.T) {
	p := &Pool{Source: "dense", Step: 300,
		Cands:     [][]Candidate{{{5, 1.5}, {9, -2}}, nil, {{1 << 20, float32(math.Inf(-1))}}},
		PosScores: [][]float32{{3}, {1, 2}, {}}}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Pool
	if err := q.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	p.Cands[1] = []Candidate{}
	if !reflect.DeepEqual(p, &q) {
		t.Errorf("round trip:\n%+v\n%+v", p, &q)
	}
	for cut := 0; cut < len(b); cut++ {
		if err := new(Pool).UnmarshalBinary(b[:cut]); err == nil {
			t.Fatalf("a pool cut to %d of %d bytes decoded", cut, len(b))
		}
	}
	if err := new(Pool).UnmarshalBinary(append(b, 0)); err == nil {
		t.Error("trailing bytes accepted")
	}
}

func TestSplitDev(t *testing.T) {
	q := map[string]map[string]int{}
	for i := 0; i < 100; i++ {
		q[string(rune('a'+i%26))+strings.Repeat("x", i/26)] = map[string]int{"d": 1}
	}
	train, dev := SplitDev(q, 0.2)
	train2, dev2 := SplitDev(q, 0.2)
	if len(dev) != 20 || len(train) != 80 || !reflect.DeepEqual(dev, dev2) || !reflect.DeepEqual(train, train2) {
		t.Fatalf("%d dev, %d train", len(dev), len(train))
	}
	for id := range dev {
		if _, ok := train[id]; ok {
			t.Errorf("%s in both splits", id)
		}
	}
}

func TestHidePositives(t *testing.T) {
	q := map[string]map[string]int{
		"a": {"d1": 1, "d2": 2, "d3": 1, "d4": 0, "d5": 3, "d6": 1, "d7": 1, "d8": 1, "d9": 1, "d10": 2},
		"b": {"d1": 1},
		"c": {"d1": 1, "d2": 1},
	}
	kept, hidden := HidePositives(q, 0.3, 7)
	kept2, hidden2 := HidePositives(q, 0.3, 7)
	if !reflect.DeepEqual(kept, kept2) || !reflect.DeepEqual(hidden, hidden2) {
		t.Fatal("not deterministic")
	}
	if len(hidden["a"]) != 3 || len(kept["a"]) != 7 || len(hidden["b"]) != 0 || len(hidden["c"]) != 1 || len(kept["c"]) != 1 {
		t.Errorf("hidden %v, kept %v", hidden, kept)
	}
	for _, d := range hidden["a"] {
		if _, ok := kept["a"][d]; ok || q["a"][d] < 1 {
			t.Errorf("hidden %s: still kept, or not relevant", d)
		}
	}
	if _, ok := kept["a"]["d4"]; !ok {
		t.Error("a judged non-relevant document must stay")
	}
}
