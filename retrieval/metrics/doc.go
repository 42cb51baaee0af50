// Package metrics evaluates ranked retrieval runs against relevance judgments
// with the definitions and conventions of trec_eval 9.x, so that its numbers
// can be compared with published ones, and tests whether two systems differ.
//
// # Files
//
// ReadRun and WriteRun handle TREC run files, one retrieved document per line:
//
//	qid Q0 docid rank score tag
//
// ReadQrels reads judgments either as BEIR TSV (a header
// "query-id<TAB>corpus-id<TAB>score", then one judgment a line) or as TREC
// qrels ("qid iter docid rel"), telling them apart from the first line. Bad
// input fails with a *LineError naming the file, the line and the field.
//
// # Conventions (those of trec_eval)
//
// A run's order is recomputed from its scores: documents are ranked by score,
// descending, and ties are broken by document id, descending as byte strings
// (so among equal scores "9" ranks above "10"). The order of a Run's slices
// does not matter. A document id may appear only once per query.
//
// A document is relevant when its judgment is at least 1. Judgments of 0 and
// documents absent from the qrels are not relevant. A negative judgment is
// what trec_eval calls "in the pool but unjudged": never relevant, zero gain,
// and left out of the ideal ranking of nDCG, exactly as a 0 or a missing
// judgment would be for every measure here.
//
// The queries evaluated are those of the qrels. A query of the run that has
// no judgments is ignored. A query of the qrels that has judgments but no
// relevant document is evaluated like any other (it scores 0 on every
// measure) and counts in the averages, as trec_eval does; Options.SkipNoRelevant
// leaves such queries out instead. A query of the qrels that is absent from
// the run (or has an empty slice, which a run file cannot express) is, by
// default, left out of the averages, like trec_eval without -c; with
// Options.Complete (trec_eval -c) it is scored with an empty ranking, so 0 on
// every measure but num_rel, and counts in the averages.
//
// # Measures
//
// Measures are named as trec_eval prints them; K is a positive integer cutoff:
//
//	map          mean average precision over the whole ranking
//	map_cut_K    average precision of the top K, divided by all relevant docs
//	ndcg         nDCG of the whole ranking (Järvelin and Kekäläinen)
//	ndcg_cut_K   nDCG of the top K
//	P_K          relevant docs in the top K divided by K (even if fewer were retrieved)
//	recall_K     relevant docs in the top K divided by all relevant docs
//	recip_rank   1/rank of the first relevant doc in the whole ranking, 0 if none
//	mrr_cut_K    1/rank of the first relevant doc if it is in the top K, else 0
//	num_rel      relevant docs judged for the query
//	num_rel_ret  relevant docs retrieved
//	num_ret      docs retrieved
//
// trec_eval's command-line spelling of a cut measure, with a dot before the
// cutoff ("ndcg_cut.10", "P.5"), is accepted as well and reported under the
// printed name ("ndcg_cut_10", "P_5"); see CanonicalMeasure.
//
// mrr_cut_K is not a trec_eval measure (trec_eval's recip_rank has no cutoff);
// it is the "MRR@K" of MS MARCO and BEIR. nDCG uses the judgment as the gain,
// a discount of log2(rank+1), and an ideal DCG computed from every relevant
// judged document of the query, cut at K for ndcg_cut_K.
//
// As in trec_eval, the summary of num_rel, num_rel_ret and num_ret is the sum
// over the queries, not the mean; every other summary is the mean.
//
// # Significance
//
// PairedTTest and RandomizationTest compare two systems' per-query values,
// such as Report.PerQuery columns, over the queries both have.
package metrics
