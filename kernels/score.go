package kernels

import "fmt"

// Scores computes the inner products of nq queries with n documents, both
// stored row-major with d columns:
//
//	for i := 0; i < nq; i++ {
//		for j := 0; j < n; j++ {
//			out[i*ldo+j] = Dot(q[i*ldq:i*ldq+d], docs[j*ldd:j*ldd+d])
//		}
//	}
//
// It is the scoring step of exact search. A few queries stream the document
// matrix once each with a row-dot kernel; more are scored as one SGEMM
// (Q·Dᵀ). The work is split across Threads() goroutines over documents; the
// result does not depend on the thread count. It panics if a slice is too
// short or a stride too small.
func Scores(nq, n, d int, q []float32, ldq int, docs []float32, ldd int, out []float32, ldo int) {
	if nq < 0 || n < 0 || d < 0 {
		panic(fmt.Sprintf("kernels: Scores: negative dimension nq=%d n=%d d=%d", nq, n, d))
	}
	checkMatrix("Q", nq, d, q, ldq)
	checkMatrix("D", n, d, docs, ldd)
	checkMatrix("Out", nq, n, out, ldo)
	if nq == 0 || n == 0 {
		return
	}
	if nq >= scoresGemmMin {
		Sgemm(false, true, nq, n, d, 1, q, ldq, docs, ldd, 0, out, ldo)
		return
	}
	nt := Threads()
	if 2*float64(nq)*float64(n)*float64(d) < minParallelFlops {
		nt = 1
	}
	j := scoresJobs.get()
	*j = scoresJob{t: current.Load(), nq: nq, n: n, d: d, q: q, ldq: ldq, docs: docs, ldd: ldd, out: out, ldo: ldo}
	chunks := (n + scoresChunk - 1) / scoresChunk
	parallelRun(min(nt, chunks), chunks, j)
	*j = scoresJob{}
	scoresJobs.put(j)
}

// scoresChunk is how many documents are scored for every query while in cache.
const scoresChunk = 256

// scoresJob scores chunks [lo, hi) of scoresChunk documents for every query.
type scoresJob struct {
	t             *tier
	nq, n, d      int
	q, docs, out  []float32
	ldq, ldd, ldo int
}

var scoresJobs freeList[scoresJob]

func (j *scoresJob) Run(lo, hi int) {
	for c := lo; c < hi; c++ {
		j0, j1 := c*scoresChunk, min(j.n, (c+1)*scoresChunk)
		for i := 0; i < j.nq; i++ {
			j.t.dotRows(j.q[i*j.ldq:i*j.ldq+j.d], j.docs[j0*j.ldd:], j.ldd, j.out[i*j.ldo+j0:i*j.ldo+j1])
		}
	}
}

// scoresGemmMin is the query count from which Scores uses SGEMM.
const scoresGemmMin = 3

// DotRows sets out[j] to the inner product of q with row j of docs (row
// stride ldd, len(q) values per row) for every j < len(out), on the
// calling goroutine: Scores' row-dot kernel for one query, unsplit, so
// the results are Scores' for that query bit for bit, and it may run
// inside a Parallel task. It panics if docs is too short.
func DotRows(q, docs []float32, ldd int, out []float32) {
	if len(out) == 0 {
		return
	}
	checkMatrix("D", len(out), len(q), docs, ldd)
	current.Load().dotRows(q, docs, ldd, out)
}
