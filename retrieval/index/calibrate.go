package index

import (
	"fmt"
	"strconv"
)

// MetaNProbe is the metadata key of an IVF index's calibrated nprobe
// (Calibrate): the lists a search probes when SearchOptions.NProbe is 0,
// instead of DefaultNProbe. MetaNProbeNote says how it was calibrated.
const (
	MetaNProbe     = "nprobe"
	MetaNProbeNote = "nprobe_calibration"
)

// NProbe returns the lists a search with SearchOptions.NProbe 0 probes:
// the calibrated nprobe recorded in the metadata (MetaNProbe), or
// DefaultNProbe when there is none.
func (x *IVF) NProbe() int {
	if n, ok := x.calibrated(); ok {
		return n
	}
	return DefaultNProbe(x.q.nlist)
}

// calibrated returns the metadata's nprobe when it is a valid one.
func (x *IVF) calibrated() (int, bool) {
	s, ok := x.meta[MetaNProbe]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > x.q.nlist {
		return 0, false
	}
	return n, true
}

// checkNProbeMeta refuses metadata whose MetaNProbe is not an integer in
// [1, nlist].
func (x *IVF) checkNProbeMeta(name string) error {
	if s, ok := x.meta[MetaNProbe]; ok {
		if _, valid := x.calibrated(); !valid {
			return fmt.Errorf("index: %s: metadata %s: %w: %q, want an integer in [1, %d]", name, MetaNProbe, ErrFormat, s, x.q.nlist)
		}
	}
	return nil
}

// Calibrate finds the fewest lists a search must probe for its results
// to agree with a search of every list (for IVF-Flat, exact search; for
// SQ8, the best the codes can do, which no nprobe improves on): the
// smallest nprobe of 1, 2, 4, … (and nlist itself) whose recall@k over
// the nq queries, against the every-list results, reaches target. It
// records that nprobe and a note in the index's metadata (MetaNProbe,
// MetaNProbeNote), so that searches that leave SearchOptions.NProbe at 0
// probe it, and returns it with its recall. It needs no relevance
// judgments: any queries of the collection will do, the more like the
// real ones the better. The search options are restored afterwards.
func (x *IVF) Calibrate(queries []float32, nq, k int, target float64) (nprobe int, recall float64, err error) {
	switch {
	case nq < 1 || len(queries) < nq*x.q.d:
		return 0, 0, fmt.Errorf("index: ivf: calibrate: %d queries, %d values of dimension %d", nq, len(queries), x.q.d)
	case k < 1:
		return 0, 0, fmt.Errorf("index: ivf: calibrate: k %d: want ≥ 1", k)
	case !(target > 0 && target <= 1):
		return 0, 0, fmt.Errorf("index: ivf: calibrate: target recall %v: want in (0, 1]", target)
	case x.Len() == 0:
		return 0, 0, fmt.Errorf("index: ivf: calibrate: the index holds no documents")
	}
	saved := x.opt
	defer func() { x.opt = saved }()
	nl := x.q.nlist
	x.opt = SearchOptions{NProbe: nl}
	exact := x.Search(queries, nq, k)
	for np := 1; ; np = min(2*np, nl) {
		x.opt = SearchOptions{NProbe: np}
		got := x.Search(queries, nq, k)
		var hit, total float64
		for i := range nq {
			want := map[int]bool{}
			for _, h := range exact[i][:min(k, len(exact[i]))] {
				want[h.Doc] = true
			}
			for _, h := range got[i] {
				if want[h.Doc] {
					hit++
				}
			}
			total += float64(len(want))
		}
		recall = 1
		if total > 0 {
			recall = hit / total
		}
		if recall >= target || np == nl {
			nprobe = np
			break
		}
	}
	if x.meta == nil {
		x.meta = map[string]string{}
	}
	x.meta[MetaNProbe] = strconv.Itoa(nprobe)
	x.meta[MetaNProbeNote] = fmt.Sprintf("recall@%d %.4f against a search of every list, on %d queries (target %g)", k, recall, nq, target)
	return nprobe, recall, nil
}
