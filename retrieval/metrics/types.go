package metrics

// Qrels holds relevance judgments: query id → document id → graded
// relevance. A judgment of 1 or more is relevant; 0 and negative judgments are
// not (see the package documentation for how negative ones are treated).
type Qrels map[string]map[string]int

// A Result is one retrieved document and its score.
type Result struct {
	DocID string
	Score float64
}

// Run holds a system's results: query id → retrieved documents. The order of
// each slice is irrelevant: evaluation ranks the documents by score,
// descending, then by document id, descending, as trec_eval does.
type Run map[string][]Result
