package metrics

import (
	"cmp"
	"slices"
	"strings"
)

// rankOrder compares two results in trec_eval's ranking order: higher score
// first, then, among equal scores, the greater document id (as bytes) first.
func rankOrder(a, b Result) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return strings.Compare(b.DocID, a.DocID)
}

// RankOrder compares two results in trec_eval's ranking order, the order
// in which Evaluate and WriteRun rank a query's results: higher score
// first, then, among equal scores, the greater document id (as bytes)
// first. It is a comparison function for slices.SortFunc.
func RankOrder(a, b Result) int { return rankOrder(a, b) }

// ranked returns a copy of results in trec_eval's ranking order.
func ranked(results []Result) []Result {
	r := slices.Clone(results)
	slices.SortFunc(r, rankOrder)
	return r
}

// compareQueryIDs orders query ids the way a reader expects: ids made only of
// ASCII digits come first, in numeric order ("2" before "10"; among equal
// numbers, such as "7" and "007", by bytes), then all other ids in byte order.
func compareQueryIDs(a, b string) int {
	da, db := isDigits(a), isDigits(b)
	switch {
	case da && !db:
		return -1
	case !da && db:
		return 1
	case da && db:
		ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if c := cmp.Compare(len(ta), len(tb)); c != 0 {
			return c
		}
		if c := strings.Compare(ta, tb); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sortedQueryIDs returns the keys of m in compareQueryIDs order.
func sortedQueryIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareQueryIDs)
	return ids
}
