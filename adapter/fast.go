package adapter

import (
	"math"

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
		a.scalarFeatures(row[nz:], qi, ci, extra, i)
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

// RelevanceOne is Relevance for one query vector q (d values) against n
// candidates, the reranking case, with the work per candidate cut by
// three. With G = W₁·diag(g) (g the LayerNorm gain) split into its blocks
// G₁, G₂, G₃ over z = [q − c; q ⊙ c; q + c], the trunk's input is
//
//	W₁·LN(z) = rstd·(G·z − μ·G·1) + W₁·b
//	G·z      = (G₁ + G₃)·q + (G₃ − G₁ + G₂·diag(q))·c
//
// so (G₁ + G₃)·q, the matrix M = G₃ − G₁ + G₂·diag(q), G·1 and W₁·b are
// formed once per query, and each candidate costs one H×d product M·c
// (instead of H×3d) plus its mean μ and rstd, which follow from Σc², q·c
// and Σ q²c². It agrees with Score to float32 rounding
// (TestRelevanceMatchesScore).
func (a *Adapter) RelevanceOne(q, c, extra []float32, n int, dst []float32) []float32 {
	if a.Cfg.Token {
		panic("adapter: RelevanceOne on adapter B; use ScoreTokens")
	}
	if a.Cfg.NoVectors { // nothing to factor out: score the pairs
		qs := make([]float32, n*len(q))
		for i := 0; i < n; i++ {
			copy(qs[i*len(q):], q)
		}
		return a.Relevance(qs, c, extra, n, dst)
	}
	d, h := a.Cfg.Dim, a.Cfg.Hidden
	f := a.Cfg.features()
	in := 3*d + f
	w1, g, bt := a.w1.Value.Data, a.lnG.Value.Data, a.lnB.Value.Data
	need := h*d + 3*h + n*h + n*f
	if cap(a.fast) < need {
		a.fast = make([]float32, need)
	}
	buf := a.fast[:need]
	m, buf := buf[:h*d], buf[h*d:]
	aq, r, cst, buf := buf[:h], buf[h:2*h], buf[2*h:3*h], buf[3*h:]
	pre, feats := buf[:n*h], buf[n*h:] // feats: n rows of f scalar features
	var sq, sq2 float64                // Σq, Σq²
	for _, x := range q {
		sq += float64(x)
		sq2 += float64(x) * float64(x)
	}
	g1, g2, g3 := g[:d], g[d:2*d], g[2*d:3*d]
	for k := 0; k < h; k++ {
		row := w1[k*in : (k+1)*in]
		w1a, w1b, w1c := row[:d], row[d:2*d], row[2*d:3*d]
		mk := m[k*d : (k+1)*d]
		var sa float32
		for j := range mk {
			a1, a3 := w1a[j]*g1[j], w1c[j]*g3[j]
			sa += (a1 + a3) * q[j]
			mk[j] = a3 - a1 + w1b[j]*g2[j]*q[j]
		}
		aq[k] = sa
		r[k] = kernels.Dot(row[:3*d], g)
		cst[k] = kernels.Dot(row[:3*d], bt) + a.b1.Value.Data[k]
	}
	kernels.Sgemm(false, true, n, h, d, 1, c[:n*d], d, m, d, 0, pre, h)
	for i := 0; i < n; i++ {
		ci := c[i*d : (i+1)*d]
		var sc2, sqc, sq2c2 float64 // Σc², q·c, Σq²c²
		for j, x := range ci {
			qx := float64(q[j]) * float64(x)
			sc2 += float64(x) * float64(x)
			sqc += qx
			sq2c2 += qx * qx
		}
		nz := float64(3 * d)
		mu := (2*sq + sqc) / nz
		v := (2*sq2+2*sc2+sq2c2)/nz - mu*mu
		rstd := float32(1 / math.Sqrt(max(v, 0)+1e-5))
		fi := feats[i*f : (i+1)*f]
		a.scalarFeatures(fi, q, ci, extra, i)
		p := pre[i*h : (i+1)*h]
		for k := range p {
			x := rstd*(aq[k]+p[k]-float32(mu)*r[k]) + cst[k]
			for t, fv := range fi {
				x += w1[k*in+3*d+t] * fv
			}
			p[k] = x
		}
	}
	kernels.GELU(pre, pre)
	wr, br := a.wr.Value.Data, a.br.Value.Data[0]
	dst = dst[:0]
	for i := 0; i < n; i++ {
		l := br + kernels.Dot(wr[:h], pre[i*h:(i+1)*h])
		for k, v := range feats[i*f : (i+1)*f] { // the features' path around the trunk
			l += wr[h+k] * v
		}
		dst = append(dst, sigmoid(l))
	}
	return dst
}
