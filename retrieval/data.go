package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/rrra/rrra/retrieval/beir"
)

// TrainData is a training split in the form the trainer and the miners
// use: texts by index and, per training query, its positive documents.
type TrainData struct {
	Docs      []string  // corpus texts (title and text joined), by corpus index
	DocIDs    []string  // corpus ids
	Queries   []string  // training query texts
	QueryIDs  []string  // training query ids
	Positives [][]int32 // per training query, its positive documents, sorted
	// canon maps a document to the first document with the same text, so
	// that duplicate texts can be kept out of a query's negatives.
	canon []int32
}

// NewCorpusData returns training data holding d's corpus (title and text
// joined) and no queries: what BM25 indexing, encoding and search need.
func NewCorpusData(d *beir.Dataset) *TrainData {
	td := &TrainData{Docs: make([]string, 0, d.Corpus.Len()), DocIDs: make([]string, 0, d.Corpus.Len())}
	for i := range d.Corpus.Docs {
		td.Docs = append(td.Docs, d.Corpus.Docs[i].Joined())
		td.DocIDs = append(td.DocIDs, d.Corpus.Docs[i].ID)
	}
	td.index()
	return td
}

// NewTrainData takes the queries of qrels that have at least one document
// judged relevant (score ≥ 1), in the order of d's queries file. It returns
// how many judged queries it dropped for having none.
func NewTrainData(d *beir.Dataset, qrels beir.Qrels) (*TrainData, int, error) {
	td := NewCorpusData(d)
	dropped := 0
	for _, q := range d.SplitQueries(qrels) {
		var pos []int32
		for did, score := range qrels[q.ID] {
			if score < 1 {
				continue
			}
			i, ok := d.Corpus.Index(did)
			if !ok {
				return nil, 0, fmt.Errorf("retrieval: qrels name document %q, which is not in the corpus", did)
			}
			pos = append(pos, int32(i))
		}
		if len(pos) == 0 {
			dropped++
			continue
		}
		slices.Sort(pos)
		td.Queries = append(td.Queries, q.Text)
		td.QueryIDs = append(td.QueryIDs, q.ID)
		td.Positives = append(td.Positives, pos)
	}
	if len(td.Queries) == 0 {
		return nil, dropped, fmt.Errorf("retrieval: no query in the split has a relevant document")
	}
	return td, dropped, nil
}

func (td *TrainData) index() {
	first := make(map[string]int32, len(td.Docs))
	td.canon = make([]int32, len(td.Docs))
	for i, t := range td.Docs {
		c, ok := first[t]
		if !ok {
			c = int32(i)
			first[t] = c
		}
		td.canon[i] = c
	}
}

// WithOwnPositives returns a copy of td that shares everything with it but
// the list of positives, so that adding positives to the copy (as RRRA's
// self-training does) leaves td as it was.
func (td *TrainData) WithOwnPositives() *TrainData {
	cp := *td
	cp.Positives = make([][]int32, len(td.Positives))
	for i, p := range td.Positives {
		cp.Positives[i] = slices.Clone(p)
	}
	return &cp
}

// maxPositives returns the most positives any training query has.
func (td *TrainData) maxPositives() int {
	n := 0
	for _, p := range td.Positives {
		n = max(n, len(p))
	}
	return n
}

// isPositive reports whether doc is a known positive of query q.
func (td *TrainData) isPositive(q int, doc int32) bool {
	_, ok := slices.BinarySearch(td.Positives[q], doc)
	return ok
}

// SplitDev carves a dev split out of qrels deterministically: query ids
// are ordered by the hex sha256 of "rrra-dev-v1:" + id and the first
// round(frac·n) of them become dev. It returns the remaining train qrels
// and the dev qrels. The same ids always split the same way, whatever the
// file order.
func SplitDev(qrels beir.Qrels, frac float64) (train, dev beir.Qrels) {
	type h struct{ hash, id string }
	var hs []h
	for id := range qrels {
		sum := sha256.Sum256([]byte("rrra-dev-v1:" + id))
		hs = append(hs, h{hex.EncodeToString(sum[:]), id})
	}
	sort.Slice(hs, func(a, b int) bool { return hs[a].hash < hs[b].hash })
	nDev := int(math.Round(frac * float64(len(hs))))
	train, dev = beir.Qrels{}, beir.Qrels{}
	for i, x := range hs {
		if i < nDev {
			dev[x.id] = qrels[x.id]
		} else {
			train[x.id] = qrels[x.id]
		}
	}
	return train, dev
}

// HidePositives plants false negatives: from each query of qrels with n ≥ 2
// relevant documents (score ≥ 1) it hides round(frac·n) of them, keeping
// at least one, so that training sees them as unlabelled corpus documents
// (and mining brings many back as hard negatives). Which documents are
// hidden is fixed by seed, each query's ids and nothing else. It returns
// the qrels without the hidden judgments and the hidden documents by
// query.
func HidePositives(qrels beir.Qrels, frac float64, seed uint64) (kept beir.Qrels, hidden map[string][]string) {
	kept, hidden = beir.Qrels{}, map[string][]string{}
	for qid, docs := range qrels {
		var rel []string
		kept[qid] = map[string]int{}
		for did, s := range docs {
			kept[qid][did] = s
			if s >= 1 {
				rel = append(rel, did)
			}
		}
		if len(rel) < 2 {
			continue
		}
		key := func(did string) string {
			h := sha256.Sum256([]byte(fmt.Sprintf("rrra-hide-v1:%d:%s:%s", seed, qid, did)))
			return hex.EncodeToString(h[:])
		}
		sort.Slice(rel, func(a, b int) bool { return key(rel[a]) < key(rel[b]) })
		n := min(len(rel)-1, int(math.Round(frac*float64(len(rel)))))
		for _, did := range rel[:n] {
			delete(kept[qid], did)
			hidden[qid] = append(hidden[qid], did)
		}
		sort.Strings(hidden[qid])
	}
	return kept, hidden
}
