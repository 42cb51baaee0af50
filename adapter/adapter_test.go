package adapter

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/tensor"
)

// testBatch returns n random pairs of dimension d with mixed labels.
func testBatch(n, d int, seed uint64) *Batch {
	r := rand.New(rand.NewPCG(seed, 1))
	b := &Batch{Q: tensor.New(tensor.S(n, d)), C: tensor.New(tensor.S(n, d))}
	for i := range b.Q.Data {
		b.Q.Data[i] = float32(r.NormFloat64())
		b.C.Data[i] = float32(r.NormFloat64())
	}
	for i := 0; i < n; i++ {
		k := int32(i % numOutcomes)
		y := float32(0)
		if k == TP || k == FN {
			y = 1
		}
		b.Y = append(b.Y, y)
		b.Class = append(b.Class, k)
		b.Weight = append(b.Weight, 0.5+r.Float32())
	}
	return b
}

// TestZeroResidual checks the reductions at initialisation: Δ = 0, so
// a = c, α̂ = 0 and L_norm = 0 exactly, and the ν term reduces to
// ν·Σ w_i y_i² / Σ w_i.
func TestZeroResidual(t *testing.T) {
	a, err := New(Config{Dim: 8, Hidden: 6}, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := testBatch(12, 8, 2)
	tp := autograd.NewTape(1)
	base, out := a.Loss(tp, b, LossConfig{Mu: 1})
	for _, v := range out.Delta.Data() {
		if v != 0 {
			t.Fatalf("Δ = %v at initialisation, want 0", v)
		}
	}
	withNorm, _ := a.Loss(tp, b, LossConfig{Mu: 1, Beta: 5})
	if withNorm.Data()[0] != base.Data()[0] {
		t.Errorf("L_norm adds %v at initialisation, want exactly 0", withNorm.Data()[0]-base.Data()[0])
	}
	// α̂ = 0 for every pair, so ν·(α̂ − y)² adds ν·Σ w_i y_i / Σ w_i.
	withNu, _ := a.Loss(tp, b, LossConfig{Mu: 1, Nu: 2})
	var wy, w float64
	for i := range b.Y {
		wy += float64(b.Weight[i] * b.Y[i])
		w += float64(b.Weight[i])
	}
	if got, want := float64(withNu.Data()[0]-base.Data()[0]), 2*wy/w; math.Abs(got-want) > 1e-6 {
		t.Errorf("ν term %v at initialisation, want 2·Σwy/Σw = %v", got, want)
	}
	if err := tp.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestAlphaHatBruteForce checks the closed form against a grid search of
// ‖a − (αq + (1−α)c)‖² over α ∈ [0, 1].
func TestAlphaHatBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for trial := 0; trial < 200; trial++ {
		d := 1 + r.IntN(6)
		q, c, a := make([]float32, d), make([]float32, d), make([]float32, d)
		for i := range q {
			q[i], c[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			// a near the segment, sometimes beyond its ends.
			s := r.Float64()*1.6 - 0.3
			a[i] = float32(s*float64(q[i])+(1-s)*float64(c[i])) + float32(0.3*r.NormFloat64())
		}
		best, bestA := math.Inf(1), 0.0
		for k := 0; k <= 100000; k++ {
			al := float64(k) / 100000
			s := 0.0
			for i := range q {
				v := float64(a[i]) - (al*float64(q[i]) + (1-al)*float64(c[i]))
				s += v * v
			}
			if s < best {
				best, bestA = s, al
			}
		}
		if got := AlphaHat(q, c, a); math.Abs(got-bestA) > 2e-5 {
			t.Fatalf("trial %d: AlphaHat %v, grid minimum at %v", trial, got, bestA)
		}
	}
	if AlphaHat([]float32{1, 2}, []float32{1, 2}, []float32{5, 5}) != 0 {
		t.Error("q = c must give α̂ = 0")
	}
	if AlphaHat([]float32{1, 2}, []float32{0, 0}, []float32{1, 2}) != 1 {
		t.Error("a = q must give α̂ = 1")
	}
}

// ref64 is the adapter and its loss in float64, written from the formulas.
// cz, when not nil, is the candidate side of z (n·d values: adapter B's
// c_B); the score feature and the residual use b.C.
func ref64(p [][]float64, b *Batch, d, h int, lc LossConfig, scoreFeat, extraFeat bool, cz []float64) float64 {
	lnG, lnB, w1, b1, w2, b2, wr, br, wo, bo := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
	n := len(b.Y)
	var wsum float64
	for _, w := range b.Weight {
		wsum += float64(w)
	}
	var bce, ce, nu, norm float64
	for i := 0; i < n; i++ {
		z := make([]float64, 3*d)
		for j := 0; j < d; j++ {
			q, c := float64(b.Q.Data[i*d+j]), float64(b.C.Data[i*d+j])
			if cz != nil {
				c = cz[i*d+j]
			}
			z[j], z[d+j], z[2*d+j] = q-c, q*c, q+c
		}
		mu, v := 0.0, 0.0
		for _, x := range z {
			mu += x
		}
		mu /= float64(3 * d)
		for _, x := range z {
			v += (x - mu) * (x - mu)
		}
		v /= float64(3 * d)
		for j := range z {
			z[j] = (z[j]-mu)/math.Sqrt(v+1e-5)*lnG[j] + lnB[j]
		}
		dot := 0.0
		for j := 0; j < d; j++ {
			dot += float64(b.Q.Data[i*d+j]) * float64(b.C.Data[i*d+j])
		}
		var feats []float64
		if scoreFeat {
			feats = append(feats, dot)
		}
		if extraFeat { // every column of b.Extra
			f := b.Extra.Shape.Dim(1)
			for k := 0; k < f; k++ {
				feats = append(feats, float64(b.Extra.Data[i*f+k]))
			}
		}
		z = append(z, feats...)
		hv := make([]float64, h)
		for k := 0; k < h; k++ {
			s := b1[k]
			for j := range z {
				s += w1[k*len(z)+j] * z[j]
			}
			hv[k] = 0.5 * s * (1 + math.Erf(s/math.Sqrt2))
		}
		lin := func(w, bias []float64, out int, withFeats bool) []float64 {
			in := h
			if withFeats {
				in += len(feats)
			}
			o := make([]float64, out)
			for k := 0; k < out; k++ {
				o[k] = bias[k]
				for j := 0; j < h; j++ {
					o[k] += w[k*in+j] * hv[j]
				}
				if withFeats {
					for j, f := range feats {
						o[k] += w[k*in+h+j] * f
					}
				}
			}
			return o
		}
		w := float64(b.Weight[i]) / wsum
		l := lin(wr, br, 1, true)[0]
		y := float64(b.Y[i])
		bce += w * (math.Max(l, 0) - l*y + math.Log1p(math.Exp(-math.Abs(l))))
		o := lin(wo, bo, numOutcomes, true)
		m := math.Max(math.Max(o[0], o[1]), math.Max(o[2], o[3]))
		lse := 0.0
		for _, x := range o {
			lse += math.Exp(x - m)
		}
		ce += w * (m + math.Log(lse) - o[b.Class[i]])
		delta := lin(w2, b2, d, false)
		num, den := 0.0, 0.0
		for j := 0; j < d; j++ {
			u := float64(b.Q.Data[i*d+j]) - float64(b.C.Data[i*d+j])
			num += delta[j] * u
			den += u * u
		}
		al := min(1, max(0, num/den))
		nu += w * (al - y) * (al - y)
		for j := 0; j < d; j++ {
			u := float64(b.Q.Data[i*d+j]) - float64(b.C.Data[i*d+j])
			e := delta[j] - al*u
			norm += e * e / float64(n)
		}
	}
	return bce + lc.Mu*ce + lc.Nu*nu + lc.Beta*norm
}

// TestLossGradients checks the loss and its gradient with respect to every
// adapter parameter against the float64 reference above and central finite
// differences of it, with a non-zero residual head so that every term acts.
func TestLossGradients(t *testing.T) {
	for _, f := range [][5]bool{{false, false, false, false}, {true, false, false, false}, {false, true, false, false}, {true, true, false, false},
		{false, false, true, false}, {false, false, false, true}, {false, false, false, false, true}, {true, true, true, true, true}} {
		testLossGradients(t, f[0], f[1], f[2], f[3], f[4])
	}
}

func testLossGradients(t *testing.T, scoreFeat, relFeat, lexFeat, posFeat, posLexFeat bool) {
	const d, h = 5, 4
	a, _ := New(Config{Dim: d, Hidden: h, Features: Features{ScoreFeature: scoreFeat, RelFeature: relFeat, LexFeature: lexFeat, PosFeature: posFeat, PosLexFeature: posLexFeat}}, 4)
	r := tensor.NewRNG(8)
	r.Normal(&a.w2.Value, 0, 0.5)
	r.Normal(&a.wr.Value, 0, 0.5)
	r.Normal(&a.wo.Value, 0, 0.5)
	r.Normal(&a.w1.Value, 0, 0.5)
	r.Normal(&a.lnG.Value, 1, 0.2)
	b := testBatch(7, d, 5)
	// The features the configuration reads, in Pair.Extra's order.
	cols := a.Cfg.extraCols()
	b.Extra = tensor.New(tensor.S(7, len(cols)))
	for i := 0; i < 7; i++ {
		full := [numExtra]float32{float32(i)*0.3 - 1, float32(i % 2), float32(i) / 7, float32(i%3)/3 - 0.2, float32(i%4) / 4}
		for k, c := range cols {
			b.Extra.Data[i*len(cols)+k] = full[c]
		}
	}
	lc := LossConfig{Mu: 0.7, Nu: 1.3, Beta: 0.4}
	params := []*autograd.Var{a.lnG, a.lnB, a.w1, a.b1, a.w2, a.b2, a.wr, a.br, a.wo, a.bo}
	var inputs []*tensor.Tensor
	for _, p := range params {
		inputs = append(inputs, p.Value.Clone())
	}
	err := autograd.GradCheck{
		Name:   fmt.Sprintf("adapter loss (score feature %v, rel feature %v, lex feature %v)", scoreFeat, relFeat, lexFeat),
		Inputs: inputs,
		Build: func(tp *autograd.Tape, in []*autograd.Var) *autograd.Var {
			x := *a
			x.lnG, x.lnB, x.w1, x.b1, x.w2, x.b2, x.wr, x.br, x.wo, x.bo = in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8], in[9]
			l, _ := x.Loss(tp, b, lc)
			return l
		},
		Ref: func(in [][]float64) []float64 {
			return []float64{ref64(in, b, d, h, lc, scoreFeat, len(cols) > 0, nil)}
		},
	}.Run()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSaveLoad(t *testing.T) {
	a1, _ := New(Config{Dim: 6, Hidden: 5, Dropout: 0.2}, 1)
	a2, _ := New(Config{Dim: 6, Hidden: 5, Dropout: 0.2}, 2)
	tensor.NewRNG(3).Normal(&a2.w2.Value, 0, 1)
	path := t.TempDir() + "/a.safetensors"
	if err := Save(path, []*Adapter{a1, a2}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Cfg != a1.Cfg {
		t.Fatalf("%d adapters, config %+v", len(got), got[0].Cfg)
	}
	for f, a := range []*Adapter{a1, a2} {
		for i, v := range a.Params.Data() {
			if got[f].Params.Data()[i] != v {
				t.Fatalf("fold %d value %d differs", f, i)
			}
		}
	}
	other, _ := New(Config{Dim: 6, Hidden: 4}, 1)
	bad := t.TempDir() + "/b.safetensors"
	Save(bad, []*Adapter{other})
	b, _ := Load(bad)
	if b[0].Cfg.Hidden != 4 {
		t.Errorf("hidden %d", b[0].Cfg.Hidden)
	}
	if _, err := Load(t.TempDir() + "/missing"); err == nil {
		t.Error("missing file loaded")
	}
}

// TestPairFeatures checks s − s⁺ leaves the candidate out of s⁺ and flags
// queries with no other positive, and that the similarity to the other
// positives leaves the candidate out too.
func TestPairFeatures(t *testing.T) {
	td := &retrieval.TrainData{Positives: [][]int32{{0, 1}, {2}}}
	qv := []float32{1, 0, 0, 1}                       // two queries, d = 2
	dv := []float32{0.9, 0, 0.5, 0, 0, 0.7, 0.2, 0.4} // four documents
	pairs := []Pair{{Query: 0, Doc: 0}, {Query: 0, Doc: 1}, {Query: 0, Doc: 3}, {Query: 1, Doc: 2}, {Query: 1, Doc: 0}}
	PairFeatures(td, qv, dv, 2, pairs, nil)
	// s − s⁺, the flag, and (column 3) max c·p over the other positives.
	want := [][3]float32{{0.9 - 0.5, 0, 0.45}, {0.5 - 0.9, 0, 0.45}, {0.2 - 0.9, 0, 0.18}, {0, 1, 0}, {0 - 0.7, 0, 0}}
	for i, p := range pairs {
		if math.Abs(float64(p.Extra[0]-want[i][0])) > 1e-6 || p.Extra[1] != want[i][1] || math.Abs(float64(p.Extra[3]-want[i][2])) > 1e-6 {
			t.Errorf("pair %d: %v, want %v", i, p.Extra, want[i])
		}
	}
}

// TestLexical checks the lexical feature: BM25 over the query's best BM25
// score, so 1 for the best document, 0 without a match, and in between
// the BM25 ratio; PairFeatures puts it in Extra[2].
func TestLexical(t *testing.T) {
	bb := bm25.New(bm25.DefaultParams())
	docs := []string{"shock waves in supersonic flow", "heat transfer at the wall", "supersonic flow over a wing and shock", "a plate"}
	for i, d := range docs {
		bb.Add(fmt.Sprint(i), d)
	}
	ix := bb.Build()
	lex := NewLexical(ix)
	q := "supersonic shock"
	best := float32(0)
	for i := range docs {
		best = max(best, ix.Score(q, i))
	}
	for i := range docs {
		if got, want := lex.Score(q, i), ix.Score(q, i)/best; got != want {
			t.Errorf("doc %d: %v, want %v", i, got, want)
		}
	}
	if lex.Score("zebra", 0) != 0 {
		t.Error("a query without matches must give 0")
	}
	td := &retrieval.TrainData{Queries: []string{q}, Docs: docs, Positives: [][]int32{{0}}}
	qv, dv := []float32{1, 0}, []float32{1, 0, 0, 1, 1, 1, 0, 0}
	pairs := []Pair{{Query: 0, Doc: 2}, {Query: 0, Doc: 1}}
	PairFeatures(td, qv, dv, 2, pairs, lex)
	if pairs[0].Extra[2] != lex.Score(q, 2) || pairs[1].Extra[2] != 0 {
		t.Errorf("lexical features %v, %v", pairs[0].Extra, pairs[1].Extra)
	}
	// The lexical similarity to the other positive (document 0): a
	// TF-IDF cosine, computed here in float64 from the analysed terms.
	if got, want := pairs[0].Extra[4], tfidfCos(ix, docs[2], docs[0]); math.Abs(float64(got)-want) > 1e-6 || want < 0.3 {
		t.Errorf("pos_lex of doc 2 = %v, want %v", got, want)
	}
	if pairs[1].Extra[4] != 0 { // no term shared with document 0
		t.Errorf("pos_lex of doc 1 = %v, want 0", pairs[1].Extra[4])
	}
	for a := range docs {
		if s := lex.DocSim(docs, a, a); math.Abs(float64(s)-1) > 1e-6 && a != 3 {
			t.Errorf("DocSim(%d, %d) = %v, want 1", a, a, s)
		}
		for b := range docs {
			if lex.DocSim(docs, a, b) != lex.DocSim(docs, b, a) {
				t.Errorf("DocSim(%d, %d) is not symmetric", a, b)
			}
		}
	}
}

// tfidfCos is Lexical.DocSim's definition written out in float64.
func tfidfCos(ix *bm25.Index, a, b string) float64 {
	var an bm25.Analyzer
	vec := func(text string) map[string]float64 {
		tf := map[string]float64{}
		for _, t := range an.Tokens(nil, text) {
			tf[t]++
		}
		v, norm := map[string]float64{}, 0.0
		for t, c := range tf {
			w := (1 + math.Log(c)) * math.Log(1+float64(ix.Len())/float64(max(1, ix.DocFreq(t))))
			v[t], norm = w, norm+w*w
		}
		for t := range v {
			v[t] /= math.Sqrt(norm)
		}
		return v
	}
	va, vb := vec(a), vec(b)
	s := 0.0
	for t, w := range va {
		s += w * vb[t]
	}
	return s
}

// TestLoadRefusesBadSizes checks an adapter file whose metadata states
// sizes out of their domain, or larger than its weights can hold, is
// refused by field before any adapter is allocated (a dimension of 10⁹
// used to allocate first), and a NaN or out-of-range dropout is refused.
func TestLoadRefusesBadSizes(t *testing.T) {
	a, _ := New(Config{Dim: 6, Hidden: 5, Dropout: 0.1}, 1)
	good := t.TempDir() + "/good.safetensors"
	if err := Save(good, []*Adapter{a}); err != nil {
		t.Fatal(err)
	}
	f, err := tensor.ReadSafetensorsFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ field, value, want string }{
		{"folds", "0", "field folds is 0"},
		{"folds", "1000", "field folds is 1000"},
		{"dim", "1000000000", "field dim is 1000000000"},
		{"hidden", "-1", "field hidden is -1"},
		{"dropout", "NaN", "field dropout is NaN"},
		{"dropout", "1", "field dropout is 1"},
		{"dim", "65536", "need at least"},
	} {
		meta := maps.Clone(f.Metadata)
		meta[c.field] = c.value
		path := t.TempDir() + "/bad.safetensors"
		if err := tensor.WriteSafetensorsFile(path, tensor.SortedNamed(f.Tensors), meta); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Load(path)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s=%s: err %v, want %q naming the file", c.field, c.value, err, c.want)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
			t.Errorf("%s=%s: allocated %d MiB before refusing", c.field, c.value, got>>20)
		}
	}
}
