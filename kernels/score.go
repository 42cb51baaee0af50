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
	t := current.Load()
	nt := Threads()
	if 2*float64(nq)*float64(n)*float64(d) < minParallelFlops {
		nt = 1
	}
	// Chunks of documents, each scored for every query while in cache.
	const chunk = 256
	chunks := (n + chunk - 1) / chunk
	parallelFor(min(nt, chunks), chunks, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			j0, j1 := c*chunk, min(n, (c+1)*chunk)
			for i := 0; i < nq; i++ {
				t.dotRows(q[i*ldq:i*ldq+d], docs[j0*ldd:], ldd, out[i*ldo+j0:i*ldo+j1])
			}
		}
	})
}

// scoresGemmMin is the query count from which Scores uses SGEMM.
const scoresGemmMin = 3
