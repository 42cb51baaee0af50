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
//
// Nothing here allocates per call: work is described by a Task (usually a
// pointer to a long-lived or reused struct), and wait groups are reused.

// workerSpin is how long an idle worker polls before blocking.
const workerSpin = 200 * time.Microsecond

// A Task is work over a range of indices [0, n) that Parallel splits into
// contiguous chunks, each run by one goroutine. Run must not depend on how
// [0, n) is chunked for its result to be the same for every thread count.
type Task interface {
	Run(lo, hi int)
}

// Parallel runs task over [0, n) in contiguous chunks on up to Threads()
// goroutines (the caller's among them), each chunk at least grain long
// (grain < 1 counts as 1), and returns when all chunks are done. Chunks must
// not wait for each other.
func Parallel(n, grain int, task Task) {
	if n <= 0 {
		return
	}
	nt := min(Threads(), n/max(grain, 1))
	parallelRun(max(nt, 1), n, task)
}

// job is one chunk [lo, hi) of a parallelRun call.
type job struct {
	task   Task
	lo, hi int
	done   *sync.WaitGroup
}

type worker struct {
	jobs chan job
}

var (
	workersMu  sync.Mutex
	workers    []*worker // grown on demand, never shrunk
	waitGroups freeList[sync.WaitGroup]
)

// getWorkers returns n workers, starting any that do not exist yet.
func getWorkers(n int) []*worker {
	workersMu.Lock()
	defer workersMu.Unlock()
	for len(workers) < n {
		w := &worker{jobs: make(chan job, 4)}
		workers = append(workers, w)
		go w.loop()
	}
	return workers[:n]
}

func (w *worker) loop() {
	for {
		var j job
		got := false
		start := time.Now()
		for spins := 0; !got; spins++ {
			select {
			case j = <-w.jobs:
				got = true
			default:
				if spins%32 == 31 && time.Since(start) > workerSpin {
					j = <-w.jobs
					got = true
				} else {
					runtime.Gosched()
				}
			}
		}
		j.task.Run(j.lo, j.hi)
		j.done.Done()
	}
}

// parallelRun splits [0, n) into nt contiguous chunks and runs task on each,
// the first on the calling goroutine and the others on workers; it returns
// when all are done. With nt == n, chunk w is [w, w+1). A worker runs its
// jobs in order and concurrent callers may queue jobs on the same worker, so
// chunks must never wait for each other.
func parallelRun(nt, n int, task Task) {
	if nt <= 1 {
		task.Run(0, n)
		return
	}
	ws := getWorkers(nt - 1)
	wg := waitGroups.get()
	wg.Add(nt - 1)
	for i, w := range ws {
		wi := i + 1
		w.jobs <- job{task: task, lo: wi * n / nt, hi: (wi + 1) * n / nt, done: wg}
	}
	task.Run(0, n/nt)
	wg.Wait()
	waitGroups.put(wg)
}
