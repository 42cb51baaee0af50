package metrics

import (
	"fmt"
	"math"
)

// Options changes which queries Evaluate averages over.
type Options struct {
	// Complete scores a query of the qrels that is absent from the run (or
	// has no results in it) as an empty ranking, 0 on every measure but
	// num_rel, and counts it in the averages, like trec_eval -c. Without it
	// such a query is left out, like trec_eval without -c, which flatters a
	// run that drops hard queries.
	Complete bool

	// SkipNoRelevant leaves out queries whose judgments include no relevant
	// document (none judged 1 or more). This is not trec_eval's behavior:
	// trec_eval scores such a query 0 on every measure and counts it.
	SkipNoRelevant bool
}

// A Report holds the values of the measures per query and over all queries.
type Report struct {
	// Measures lists the measure names, in the order asked for.
	Measures []string
	// Mean maps each measure to its summary over the queries: the mean,
	// except for num_rel, num_rel_ret and num_ret, which are summed, as
	// trec_eval does.
	Mean map[string]float64
	// PerQuery maps each evaluated query id to its measure values.
	PerQuery map[string]map[string]float64
	// NumQueries is the number of queries the summary is over, trec_eval's
	// num_q.
	NumQueries int
}

// Evaluate scores run against qrels with the named measures (trec_eval-style
// names such as "ndcg_cut_10", "P_5" or "map"; see the package
// documentation), or DefaultMeasures when measures is empty. trec_eval's
// command-line spelling "ndcg_cut.10" is accepted too, and reported as
// "ndcg_cut_10" (see CanonicalMeasure). Repeated names are computed once.
//
// The queries evaluated are those of qrels; queries of run that are not in
// qrels are ignored, and opts decides what happens to queries of qrels with
// no results or no relevant document. Evaluate fails on an unknown measure
// name, on a document listed twice for one query of the run or a NaN score
// (in any query), and with ErrNoQueries when there is nothing to average.
func Evaluate(qrels Qrels, run Run, measures []string, opts Options) (*Report, error) {
	ms, err := parseMeasures(measures)
	if err != nil {
		return nil, err
	}
	if err := checkRun(run); err != nil {
		return nil, err
	}
	rep := &Report{
		Measures: make([]string, len(ms)),
		Mean:     make(map[string]float64, len(ms)),
		PerQuery: make(map[string]map[string]float64),
	}
	for i, m := range ms {
		rep.Measures[i] = m.name
	}
	for _, qid := range sortedQueryIDs(qrels) {
		results := run[qid]
		if len(results) == 0 && !opts.Complete {
			continue
		}
		jr := newJudgedRanking(qrels[qid], results)
		if jr.numRel() == 0 && opts.SkipNoRelevant {
			continue
		}
		vals := make(map[string]float64, len(ms))
		for _, m := range ms {
			v := jr.value(m)
			vals[m.name] = v
			rep.Mean[m.name] += v
		}
		rep.PerQuery[qid] = vals
	}
	rep.NumQueries = len(rep.PerQuery)
	if rep.NumQueries == 0 {
		return nil, ErrNoQueries
	}
	for _, m := range ms {
		if !m.summed() {
			rep.Mean[m.name] /= float64(rep.NumQueries)
		}
	}
	return rep, nil
}

// checkRun rejects what trec_eval rejects or cannot rank: a document listed
// twice for one query, and NaN scores.
func checkRun(run Run) error {
	for _, qid := range sortedQueryIDs(run) {
		seen := make(map[string]bool, len(run[qid]))
		for _, r := range run[qid] {
			if seen[r.DocID] {
				return fmt.Errorf("metrics: run query %q: document %q listed twice", qid, r.DocID)
			}
			seen[r.DocID] = true
			if math.IsNaN(r.Score) {
				return fmt.Errorf("metrics: run query %q: document %q has a NaN score", qid, r.DocID)
			}
		}
	}
	return nil
}
