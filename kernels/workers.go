package kernels

import (
	"runtime"
	"sync"
	"time"
)

// Parallel parts of the kernels run on long-lived worker goroutines. A
// goroutine started per call, or a worker parked in the scheduler, waits for
// the OS to wake a thread: about 90 µs on the 2-core VM this was measured
// on, as long as a whole 256³ product on one core. So a worker that has just
// finished polls for its next task for workerSpin, yielding the processor
// (runtime.Gosched) between polls, before it blocks. Back-to-back kernel
// calls, as in a training step, then start at once.

// workerSpin is how long an idle worker polls before blocking.
const workerSpin = 200 * time.Microsecond

// task is one chunk [lo, hi) of a parallelFor call.
type task struct {
	body   func(lo, hi int)
	lo, hi int
	done   *sync.WaitGroup
}

type worker struct {
	tasks chan task
}

var (
	workersMu sync.Mutex
	workers   []*worker // grown on demand, never shrunk
)

// getWorkers returns n workers, starting any that do not exist yet.
func getWorkers(n int) []*worker {
	workersMu.Lock()
	defer workersMu.Unlock()
	for len(workers) < n {
		w := &worker{tasks: make(chan task, 4)}
		workers = append(workers, w)
		go w.loop()
	}
	return workers[:n]
}

func (w *worker) loop() {
	for {
		var t task
		got := false
		start := time.Now()
		for spins := 0; !got; spins++ {
			select {
			case t = <-w.tasks:
				got = true
			default:
				if spins%32 == 31 && time.Since(start) > workerSpin {
					t = <-w.tasks
					got = true
				} else {
					runtime.Gosched()
				}
			}
		}
		t.body(t.lo, t.hi)
		t.done.Done()
	}
}

// parallelFor splits [0, n) into nt contiguous chunks and runs body(lo, hi)
// for each, the first on the calling goroutine and the others on workers;
// it returns when all are done. With nt == n, body(w, w+1) runs once per
// worker w. Chunks must not wait for each other: a worker runs its tasks in
// order, and concurrent callers may queue tasks on the same worker.
func parallelFor(nt, n int, body func(lo, hi int)) {
	if nt <= 1 {
		body(0, n)
		return
	}
	ws := getWorkers(nt - 1)
	var wg sync.WaitGroup
	wg.Add(nt - 1)
	for i, w := range ws {
		wi := i + 1
		w.tasks <- task{body: body, lo: wi * n / nt, hi: (wi + 1) * n / nt, done: &wg}
	}
	body(0, n/nt)
	wg.Wait()
}
