package kernels

import (
	"runtime"
	"sync/atomic"
)

// EnvTier is the environment variable that forces a tier at start-up, e.g.
// RRRA_KERNELS=generic. An unknown or unsupported name is reported on stderr
// and the default choice is kept.
const EnvTier = "RRRA_KERNELS"

// tier is one implementation of every kernel. The function values are chosen
// once and called through one indirection on the hot path; none of them tests
// CPU features itself.
type tier struct {
	name string
	// supported reports whether this CPU can run the tier; reason says why
	// not when it cannot.
	supported bool
	reason    string
	// auto says whether the tier may be chosen without being asked for.
	auto bool

	// SGEMM micro-kernel geometry and cache blocking.
	mr, nr     int // register block: mr rows by nr columns of C
	mc, kc, nc int // cache blocks: rows of packed A, depth, columns of packed B

	// micro computes, for the mr×nr tile at c (row stride ldc),
	//   c[i*ldc+j] = alpha·Σ_p a[p*mr+i]·b[p*nr+j] + beta·c[i*ldc+j]
	// reading c only when beta != 0. a and b are packed panels of depth k.
	micro func(k int, a, b, c []float32, ldc int, alpha, beta float32)
	// microA, if not nil, is micro with A read in place: mr rows of A at
	// stride lda, a[i*lda+p] standing for the packed a[p*mr+i].
	microA func(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32)
	// Packing in assembly, each hook optional (nil: the Go loops). gatherA
	// packs a full mr-row A panel for its first kq depth steps (a positive
	// multiple of gatherQ), dst[p*mr+i] = src[i*ld+p]; gatherB the same for
	// a full nr-column panel of a transposed B, dst[p*nr+j] = src[j*ld+p].
	// copyA and copyB pack full panels whose depth steps are contiguous
	// rows of the source (a transposed A, a B): dst[p*w+j] = src[p*ld+j],
	// w being mr or nr.
	gatherA, gatherB func(src []float32, ld, kq int, dst []float32)
	gatherQ          int
	copyA, copyB     func(dst, src []float32, ld, kb int)

	dot     func(x, y []float32) float32
	axpy    func(alpha float32, x, y []float32)
	scale   func(alpha float32, x []float32)
	dotRows func(q, docs []float32, ldd int, out []float32)
	// dotRowsU8 is DotRowsU8 (the SQ8 scan).
	dotRowsU8 func(w []float32, codes []uint8, ldc int, out []float32)

	gelu         func(y, x []float32)
	geluBackward func(dx, dy, x []float32, add bool)
	// expShiftSum sets y[i] = exp(y[i] − shift), 0 below −87, and returns
	// the sum.
	expShiftSum func(y []float32, shift float32) float32
	// rowMax returns the largest element of a non-empty row, NaN if any
	// is NaN.
	rowMax func(x []float32) float32

	layerNorm         func(y, x, gamma, beta []float32, eps float32) (mean, rstd float32)
	layerNormBackward func(dx, dy, x, gamma []float32, mean, rstd float32, add bool)
}

// floatTiers are the float32 tiers compiled into this binary, best first,
// and the one every float32 kernel uses (current).
var floatTiers = registry[tier, *tier]{kind: "tier"}

// current returns the tier the float32 kernels use.
var current = &floatTiers.cur

// threads is the goroutine count Sgemm and Scores may use (0: GOMAXPROCS).
var threads atomic.Int64

func init() {
	all := append(asmTiers(), genericTier())
	floatTiers.start(all, defaultTier(all), EnvTier, "")
}

func defaultTier(all []*tier) *tier {
	for _, t := range all {
		if t.supported && t.auto {
			return t
		}
	}
	return all[len(all)-1] // generic is always supported and auto
}

// Tiers returns the names of all tiers compiled into this binary, best first,
// whether or not this CPU supports them.
func Tiers() []string { return floatTiers.names() }

// Supported reports whether this CPU can run the named tier, and if not, why.
func Supported(name string) (ok bool, reason string) { return floatTiers.supported(name) }

// Selected returns the name of the tier in use.
func Selected() string { return floatTiers.selected() }

// Use switches every kernel to the named tier and returns a function that
// restores the previous one. ok is false, and nothing changes, when the tier
// does not exist or this CPU cannot run it. Use is meant for tests and
// benchmarks; it must not race with running kernels.
func Use(name string) (restore func(), ok bool) { return floatTiers.use(name) }

// SetThreads sets how many goroutines Sgemm and Scores may use; n <= 0 means
// runtime.GOMAXPROCS(0), 1 means single-threaded. It returns the previous
// setting.
func SetThreads(n int) (prev int) {
	if n < 0 {
		n = 0
	}
	return int(threads.Swap(int64(n)))
}

// Threads returns the number of goroutines Sgemm and Scores will use.
func Threads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}
