package kernels

import "sync"

// freeList keeps released objects for reuse. Unlike sync.Pool it never drops
// them (not at garbage collection, not in another processor's private slot),
// so once a workload has made what it needs at its peak, it allocates
// nothing more. It holds at most as many objects as were in use at once.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	make  func() *T
}

func (f *freeList[T]) get() *T {
	f.mu.Lock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items[n-1] = nil
		f.items = f.items[:n-1]
		f.mu.Unlock()
		return x
	}
	f.mu.Unlock()
	if f.make != nil {
		return f.make()
	}
	return new(T)
}

func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
