package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// A kind is one family of measures; cut kinds take a cutoff K.
type kind int

const (
	kindMap kind = iota
	kindMapCut
	kindNDCG
	kindNDCGCut
	kindP
	kindRecall
	kindRecipRank
	kindMRRCut
	kindNumRel
	kindNumRelRet
	kindNumRet
)

// A measure is a parsed measure name.
type measure struct {
	name string
	kind kind
	k    int // cutoff, for the cut kinds
}

// summed reports whether the summary of m over queries is a sum, as
// trec_eval's is for its counts, rather than a mean.
func (m measure) summed() bool {
	return m.kind == kindNumRel || m.kind == kindNumRelRet || m.kind == kindNumRet
}

// plainMeasures maps the names that take no cutoff to their kind.
func plainMeasures() map[string]kind {
	return map[string]kind{
		"map":         kindMap,
		"ndcg":        kindNDCG,
		"recip_rank":  kindRecipRank,
		"num_rel":     kindNumRel,
		"num_rel_ret": kindNumRelRet,
		"num_ret":     kindNumRet,
	}
}

// cutMeasures maps the prefixes of the names that take a cutoff to their kind.
func cutMeasures() map[string]kind {
	return map[string]kind{
		"map_cut_":  kindMapCut,
		"ndcg_cut_": kindNDCGCut,
		"P_":        kindP,
		"recall_":   kindRecall,
		"mrr_cut_":  kindMRRCut,
	}
}

// validMeasures describes the accepted names, for error messages.
const validMeasures = "map, map_cut_K, ndcg, ndcg_cut_K, P_K, recall_K, recip_rank, mrr_cut_K, num_rel, num_rel_ret, num_ret (K a positive integer without leading zeros)"

// DefaultMeasures returns the measures Evaluate computes when given none:
// ndcg_cut_10, mrr_cut_10, recall_100, map, P_10 and recip_rank.
func DefaultMeasures() []string {
	return []string{"ndcg_cut_10", "mrr_cut_10", "recall_100", "map", "P_10", "recip_rank"}
}

// parseMeasure parses one trec_eval-style measure name such as "ndcg_cut_10".
func parseMeasure(name string) (measure, error) {
	if k, ok := plainMeasures()[name]; ok {
		return measure{name: name, kind: k}, nil
	}
	for prefix, k := range cutMeasures() {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || strconv.Itoa(n) != rest {
			return measure{}, fmt.Errorf("metrics: measure %q: cutoff %q is not a positive integer; valid measures: %s", name, rest, validMeasures)
		}
		return measure{name: name, kind: k, k: n}, nil
	}
	return measure{}, fmt.Errorf("metrics: unknown measure %q; valid measures: %s", name, validMeasures)
}

// CanonicalMeasure returns name as trec_eval prints it and Evaluate reports
// it: trec_eval's command-line spelling of a measure with a cutoff, the
// measure, a dot and the cutoff ("ndcg_cut.10", "P.5", "recall.100", as in
// trec_eval -m ndcg_cut.10), becomes the printed one ("ndcg_cut_10", "P_5",
// "recall_100"). Any other name is returned unchanged.
func CanonicalMeasure(name string) string {
	base, k, ok := strings.Cut(name, ".")
	if !ok || k == "" || strings.Trim(k, "0123456789") != "" {
		return name
	}
	if _, cut := cutMeasures()[base+"_"]; cut {
		return base + "_" + k
	}
	return name
}

// parseMeasures parses names, in trec_eval's printed or command-line
// spelling (see CanonicalMeasure), dropping repeats after the first. No
// names means DefaultMeasures.
func parseMeasures(names []string) ([]measure, error) {
	if len(names) == 0 {
		names = DefaultMeasures()
	}
	ms := make([]measure, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		name = CanonicalMeasure(name)
		if seen[name] {
			continue
		}
		seen[name] = true
		m, err := parseMeasure(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}
