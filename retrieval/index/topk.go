package index

import "math"

// topk keeps the best cap(hits) hits it is offered, as a binary heap whose
// root, hits[0], ranks last among them (see before).
//
// Its users keep a threshold per heap (see add) and test every score
// against it before calling add: a score s with s <= thr cannot enter.
// That test is complete only because each heap is offered its documents in
// increasing index order, so that a newcomer whose score equals the root's
// ranks after it.
type topk struct {
	hits []Hit
}

// noThreshold is the threshold of a heap that is not full, or whose root
// is NaN: every comparison with it is false, so every score is added.
var noThreshold = float32(math.NaN())

func newTopk(buf []Hit) topk { return topk{hits: buf[:0]} }

// offer considers scores[j] for document doc0+j, for every j, given and
// returning the heap's threshold. Document indices must exceed every index
// offered to h before.
func (h *topk) offer(scores []float32, doc0 int, thr float32) float32 {
	for j, s := range scores {
		if s <= thr { // false for NaN s or NaN thr
			continue
		}
		thr = h.add(Hit{Doc: doc0 + j, Score: s})
	}
	return thr
}

// add inserts x if the heap is not full or x ranks before the root, and
// returns the new threshold: the root's score once the heap is full,
// unless that is NaN.
func (h *topk) add(x Hit) float32 {
	hs := h.hits
	switch {
	case len(hs) < cap(hs):
		hs = append(hs, x)
		siftUp(hs, len(hs)-1)
		h.hits = hs
	case len(hs) > 0 && before(x, hs[0]):
		hs[0] = x
		siftDown(hs, 0)
	}
	if len(hs) == cap(hs) && len(hs) > 0 && hs[0].Score == hs[0].Score {
		return hs[0].Score
	}
	return noThreshold
}

// merge inserts every hit of o into h, in any order, with the full
// comparison.
func (h *topk) merge(o []Hit) {
	for _, x := range o {
		hs := h.hits
		if len(hs) < cap(hs) {
			hs = append(hs, x)
			siftUp(hs, len(hs)-1)
			h.hits = hs
		} else if len(hs) > 0 && before(x, hs[0]) {
			hs[0] = x
			siftDown(hs, 0)
		}
	}
}

// siftUp restores the heap after hs[i] was placed.
func siftUp(hs []Hit, i int) {
	x := hs[i]
	for i > 0 {
		p := (i - 1) / 2
		if !before(hs[p], x) {
			break
		}
		hs[i] = hs[p]
		i = p
	}
	hs[i] = x
}

// siftDown restores the heap after hs[i] was replaced.
func siftDown(hs []Hit, i int) {
	x := hs[i]
	n := len(hs)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && before(hs[c], hs[r]) {
			c = r // the child that ranks later
		}
		if !before(x, hs[c]) {
			break
		}
		hs[i] = hs[c]
		i = c
	}
	hs[i] = x
}
