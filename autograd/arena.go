package autograd

import "sync"

// arena hands out float32 buffers from large chunks; reset makes them all
// available again without freeing. After one pass through a step the chunks
// are big enough, and later passes allocate nothing.
type arena struct {
	chunks [][]float32
	cur    int // chunk being filled
	off    int // next free element in chunks[cur]
	peak   int // most elements in use at once since creation
	used   int
}

// arenaChunk is the smallest chunk the arena allocates (64 MiB).
const arenaChunk = 16 << 20

// alloc returns n elements whose contents are undefined.
func (a *arena) alloc(n int) []float32 {
	for a.cur < len(a.chunks) {
		c := a.chunks[a.cur]
		if a.off+n <= len(c) {
			s := c[a.off : a.off+n : a.off+n]
			a.off += n
			a.used += n
			a.peak = max(a.peak, a.used)
			return s
		}
		a.cur++
		a.off = 0
	}
	c := make([]float32, max(n, arenaChunk))
	a.chunks = append(a.chunks, c)
	a.cur = len(a.chunks) - 1
	a.off = n
	a.used += n
	a.peak = max(a.peak, a.used)
	return c[:n:n]
}

// reset makes every buffer available again. The chunks are kept as they
// are: a pass that repeats the last one's allocations fits them exactly.
// (Merging them into one would hold old and new at once, doubling the
// peak memory for a moment.)
func (a *arena) reset() {
	a.peak = max(a.peak, a.used)
	a.cur, a.off, a.used = 0, 0, 0
}

// mark returns the arena's current position.
func (a *arena) mark() arenaMark { return arenaMark{a.cur, a.off, a.used} }

// release returns the arena to position m, making everything allocated
// since available again.
func (a *arena) release(m arenaMark) { a.cur, a.off, a.used = m.cur, m.off, m.used }

type arenaMark struct{ cur, off, used int }

// intArena is arena for int32 (token ids, class targets).
type intArena struct {
	buf  []int32
	off  int
	need int
}

func (a *intArena) copyOf(src []int32) []int32 {
	if a.off+len(src) > len(a.buf) {
		// Grow for the rest of this pass; reset keeps the larger size.
		a.need = max(a.need, a.off+len(src))
		nb := make([]int32, max(2*len(a.buf), a.need))
		a.buf, a.off = nb, 0
	}
	s := a.buf[a.off : a.off+len(src) : a.off+len(src)]
	copy(s, src)
	a.off += len(src)
	a.need = max(a.need, a.off)
	return s
}

func (a *intArena) reset() { a.off = 0 }

// scratchPool lends float32 buffers of one size to the goroutines of a
// parallel op, each its own, and keeps them for later ops: there are never
// more than the number of goroutines that ran at once.
type scratchPool struct {
	mu   sync.Mutex
	size int
	free [][]float32
}

// get returns a buffer of at least p.size values, contents undefined.
func (p *scratchPool) get() []float32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.free); n > 0; n = len(p.free) {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		if cap(b) >= p.size {
			return b[:p.size]
		}
	}
	return make([]float32, p.size)
}

func (p *scratchPool) put(b []float32) {
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
}
