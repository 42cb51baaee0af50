package nn

import (
	"fmt"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// BiEncoder scores queries against documents by the inner product of their
// pooled encodings. The towers may be one model (shared, the usual choice)
// or two.
type BiEncoder struct {
	Query, Doc *Bert
	Pooling    Pooling
	// Normalize L2-normalises the pooled vectors (cosine scores).
	Normalize bool
	// Temperature divides the scores in the loss (0 means 1).
	Temperature float32

	targets []int32 // reused by InfoNCE
	packed  []int32 // reused by Encode
	offsets []int
}

// Encode pools the encoder's output for a batch: ids [B·T] row-major with
// mask [B, T]; it returns [B, hidden]. When every row of the mask is ones
// followed by zeros (padding at the end, as tokenizers make it), the
// sequences are packed without their padding and run through
// Bert.ForwardPacked, which spends no work on padding; other masks run
// padded through Bert.Forward. Both give the same values (to float32
// rounding) and gradients.
func (b *BiEncoder) Encode(tp *autograd.Tape, tower *Bert, ids []int32, mask *tensor.Tensor) *autograd.Var {
	if b.pack(ids, mask) {
		return PoolPacked(tp, tower.ForwardPacked(tp, b.packed, nil, b.offsets), b.offsets, b.Pooling, b.Normalize)
	}
	return Pool(tp, tower.Forward(tp, ids, nil, mask), mask, b.Pooling, b.Normalize)
}

// pack lays the unpadded sequences of a padded batch end to end into
// b.packed and b.offsets, and reports whether it could: every mask row must
// be a run of ones (at least one) followed by zeros.
func (b *BiEncoder) pack(ids []int32, mask *tensor.Tensor) bool {
	if mask.Shape.Rank() != 2 || len(ids) != mask.Shape.Numel() {
		return false
	}
	rows, t := mask.Shape.Dim(0), mask.Shape.Dim(1)
	b.packed, b.offsets = b.packed[:0], append(b.offsets[:0], 0)
	for r := 0; r < rows; r++ {
		m := mask.Data[r*t : (r+1)*t]
		n := 0
		for n < t && m[n] == 1 {
			n++
		}
		if n == 0 {
			return false
		}
		for _, v := range m[n:] {
			if v != 0 {
				return false
			}
		}
		b.packed = append(b.packed, ids[r*t:r*t+n]...)
		b.offsets = append(b.offsets, len(b.packed))
	}
	return rows > 0
}

// InfoNCE returns the in-batch contrastive loss: nq queries against nq·group
// documents, where documents i·group .. i·group+group−1 belong to query i
// and the first of them is its positive (the rest its hard negatives); every
// other document in the batch is a further negative. With scores
// s = q·dᵀ/τ, the loss is the mean over queries of −log softmax(s_i)[i·group].
func (b *BiEncoder) InfoNCE(tp *autograd.Tape, qIDs []int32, qMask *tensor.Tensor, dIDs []int32, dMask *tensor.Tensor, group int) *autograd.Var {
	return b.InfoNCEMasked(tp, qIDs, qMask, dIDs, dMask, group, nil)
}

// MaskedOut is the score offset that removes a (query, document) pair from
// InfoNCEMasked's softmax: exp of it underflows to zero in float32.
const MaskedOut = -1e9

// InfoNCEMasked is InfoNCE with an additive score mask [nq, nq·group]
// applied to the scaled scores before the softmax: MaskedOut where a
// document must not count as a negative for a query (one of its known
// positives, or a duplicate of its positive's text), 0 elsewhere. A nil
// mask masks nothing. A query's own positive must not be masked.
func (b *BiEncoder) InfoNCEMasked(tp *autograd.Tape, qIDs []int32, qMask *tensor.Tensor, dIDs []int32, dMask *tensor.Tensor, group int, scoreMask *tensor.Tensor) *autograd.Var {
	nq, nd := qMask.Shape.Dim(0), dMask.Shape.Dim(0)
	if group <= 0 || nd != nq*group {
		return tp.Fail(fmt.Errorf("nn: InfoNCE: %d queries and %d documents with groups of %d", nq, nd, group))
	}
	if scoreMask != nil && scoreMask.Shape != tensor.S(nq, nd) {
		return tp.Fail(fmt.Errorf("nn: InfoNCE: score mask of shape %v for %d queries and %d documents", scoreMask.Shape, nq, nd))
	}
	q := b.Encode(tp, b.Query, qIDs, qMask)
	d := b.Encode(tp, b.Doc, dIDs, dMask)
	return b.InfoNCEVectors(tp, q, d, group, scoreMask)
}

// InfoNCEVectors is InfoNCEMasked on pooled vectors already on the tape:
// q [nq, h] and d [nq·group, h], so that a caller can add terms of its own
// on the same vectors (RRRA's stage-3 adapter loss).
func (b *BiEncoder) InfoNCEVectors(tp *autograd.Tape, q, d *autograd.Var, group int, scoreMask *tensor.Tensor) *autograd.Var {
	nq := q.Value.Shape.Dim(0)
	s := tp.MatMul(q, d, false, true)
	if tau := b.Temperature; tau != 0 && tau != 1 {
		s = tp.Scale(s, 1/tau)
	}
	if scoreMask != nil {
		s = tp.Add(s, tp.Const(scoreMask))
	}
	b.targets = b.targets[:0]
	for i := 0; i < nq; i++ {
		b.targets = append(b.targets, int32(i*group))
	}
	return tp.CrossEntropy(s, b.targets)
}

// Temperature bounds: a BiEncoder's Temperature is 0 (meaning 1) or lies in
// [MinTemperature, MaxTemperature]. Below the lower bound the scaled
// scores of normalised vectors overflow the softmax's useful range; above
// the upper bound every score rounds to the same logit.
const (
	MinTemperature = 1e-3
	MaxTemperature = 1e3
)

// CheckTemperature returns an error unless t is 0 (meaning 1) or a finite
// value in [MinTemperature, MaxTemperature].
func CheckTemperature(t float32) error {
	if t == 0 || (t >= MinTemperature && t <= MaxTemperature) {
		return nil
	}
	return fmt.Errorf("temperature %g is outside its domain: 0 (meaning 1) or %g to %g", t, MinTemperature, MaxTemperature)
}
