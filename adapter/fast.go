package adapter

import (
	"github.com/rrra/rrra/kernels"
)

// Relevance returns p_rel for n pairs of adapter A — q, c and extra as
// for Score (extra nil: "no other positive", no lexical match) — into dst
// (grown as needed). It computes only the relevance head, straight on the kernels
// without a tape: the reranking path, where the outcome head, the residual
// and α̂ go unused. It agrees with Score's Rel to float32 rounding
// (TestRelevanceMatchesScore), and, like Score, must not run from two
// goroutines on one Adapter at once.
func (a *Adapter) Relevance(q, c, extra []float32, n int, dst []float32) []float32 {
	if a.Cfg.Token {
		panic("adapter: Relevance on adapter B; use ScoreTokens")
	}
	d, h, f := a.Cfg.Dim, a.Cfg.Hidden, a.Cfg.features()
	nz := 3 * d // the width of z, 0 without vectors
	if a.Cfg.NoVectors {
		nz = 0
	}
	in := nz + f
	need := n*in + n*h
	if cap(a.fast) < need {
		a.fast = make([]float32, need)
	}
	z, hid := a.fast[:n*in], a.fast[n*in:need]
	for i := 0; i < n; i++ {
		qi, ci := q[i*d:(i+1)*d], c[i*d:(i+1)*d]
		row := z[i*in : (i+1)*in]
		if nz > 0 {
			for j := 0; j < d; j++ {
				row[j], row[d+j], row[2*d+j] = qi[j]-ci[j], qi[j]*ci[j], qi[j]+ci[j]
			}
			kernels.LayerNormRow(row[:nz], row[:nz], a.lnG.Value.Data, a.lnB.Value.Data, 1e-5)
		}
		feats := row[nz:]
		k := 0
		if a.Cfg.ScoreFeature {
			feats[k] = kernels.Dot(qi, ci)
			k++
		}
		for _, col := range a.Cfg.extraCols() {
			if extra != nil {
				feats[k] = extra[i*numExtra+col]
			} else {
				feats[k] = defaultExtra[col]
			}
			k++
		}
	}
	// hid = z·W₁ᵀ + b₁, then GELU.
	b1 := a.b1.Value.Data
	for i := 0; i < n; i++ {
		copy(hid[i*h:(i+1)*h], b1)
	}
	kernels.Sgemm(false, true, n, h, in, 1, z, in, a.w1.Value.Data, in, 1, hid, h)
	kernels.GELU(hid, hid)
	wr, br := a.wr.Value.Data, a.br.Value.Data[0]
	dst = dst[:0]
	for i := 0; i < n; i++ {
		l := br + kernels.Dot(wr[:h], hid[i*h:(i+1)*h])
		row := z[i*in+nz : (i+1)*in]
		for k, v := range row {
			l += wr[h+k] * v
		}
		dst = append(dst, sigmoid(l))
	}
	return dst
}
