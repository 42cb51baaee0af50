package bm25

import (
	"math"
	"slices"
)

// A topK keeps the best k hits offered to it in a bounded min-heap whose
// root is the worst kept hit. Hits are kept as keys that order them:
// the score's bits (scores are never negative, so their bits order like
// them) above the complemented document number, so that a larger key is
// a higher score, or an equal score and a lower document number.
type topK struct {
	k int
	h []uint64
}

func hitKey(doc int, score float32) uint64 {
	return uint64(math.Float32bits(score))<<32 | uint64(^uint32(doc))
}

func (t *topK) reset(k int) {
	t.k = k
	t.h = t.h[:0]
}

// full reports whether the heap holds k hits, so that a hit scoring below
// the worst kept score can be rejected without an offer.
func (t *topK) full() bool { return len(t.h) == t.k }

// worst returns the lowest kept score; only valid when full.
func (t *topK) worst() float32 { return math.Float32frombits(uint32(t.h[0] >> 32)) }

// offer keeps the hit if it is among the best k hits offered so far.
func (t *topK) offer(doc int, score float32) {
	x := hitKey(doc, score)
	h := t.h
	if len(h) < t.k {
		h = append(h, x)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p] <= x {
				break
			}
			h[i] = h[p]
			i = p
			h[i] = x
		}
		t.h = h
		return
	}
	if x <= h[0] {
		return
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && h[c+1] < h[c] {
			c++
		}
		if h[c] >= x {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// sorted returns the kept hits, best first, in a new slice.
func (t *topK) sorted() []Hit {
	slices.Sort(t.h)
	out := make([]Hit, len(t.h))
	for i, x := range t.h {
		out[len(out)-1-i] = Hit{Doc: int(^uint32(x)), Score: math.Float32frombits(uint32(x >> 32))}
	}
	return out
}
