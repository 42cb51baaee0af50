package weaviate_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rrra/rrra/internal/weaviatetest"
	"github.com/rrra/rrra/retrieval/weaviate"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want weaviate.Target
		err  string
	}{
		{"weaviate://127.0.0.1:8080/Cranfield", weaviate.Target{"127.0.0.1", 8080, "Cranfield"}, ""},
		{"weaviate://db.example:443/Docs_v2", weaviate.Target{"db.example", 443, "Docs_v2"}, ""},
		{"weaviate://[::1]:8080/A", weaviate.Target{"::1", 8080, "A"}, ""},
		{"http://127.0.0.1:8080/C", weaviate.Target{}, "want weaviate://"},
		{"weaviate://127.0.0.1/C", weaviate.Target{}, "HOST:PORT"},
		{"weaviate://127.0.0.1:0/C", weaviate.Target{}, "port"},
		{"weaviate://127.0.0.1:70000/C", weaviate.Target{}, "port"},
		{"weaviate://127.0.0.1:8080/", weaviate.Target{}, "class"},
		{"weaviate://127.0.0.1:8080/cranfield", weaviate.Target{}, "capital"},
		{"weaviate://127.0.0.1:8080/A/B", weaviate.Target{}, "class"},
		{"weaviate://127.0.0.1:8080/A?x=1", weaviate.Target{}, "without user, query"},
		{"weaviate://u:p@127.0.0.1:8080/A", weaviate.Target{}, "without user"},
	} {
		got, err := weaviate.ParseTarget(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseTarget(%q): %v, want an error containing %q", tc.in, err, tc.err)
		}
		if err == nil {
			if back, _ := weaviate.ParseTarget(got.String()); back != got {
				t.Errorf("String() of %+v parses back to %+v", got, back)
			}
		}
	}
}

func TestObjectID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := make(map[string]string)
	for _, class := range []string{"A", "B"} {
		for i := range 1000 {
			doc := fmt.Sprint(i)
			id := weaviate.ObjectID(class, doc)
			if !uuid.MatchString(id) {
				t.Fatalf("ObjectID(%s, %s) = %s: not a version-5 UUID", class, doc, id)
			}
			if id != weaviate.ObjectID(class, doc) {
				t.Fatalf("ObjectID(%s, %s) differs between calls", class, doc)
			}
			if prev, dup := seen[id]; dup {
				t.Fatalf("ObjectID(%s, %s) = ObjectID of %s", class, doc, prev)
			}
			seen[id] = class + "/" + doc
		}
	}
	// "A" + "B1" and "AB" + "1" must not meet.
	if weaviate.ObjectID("A", "B1") == weaviate.ObjectID("AB", "1") {
		t.Error("class and document id run together")
	}
}

// collection is n random documents of dimension d.
func collection(n, d int, seed uint64) (ids, texts []string, vecs []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"boundary", "layer", "shock", "wave", "heat", "transfer", "flow", "wing"}
	for i := range n {
		ids = append(ids, fmt.Sprintf("doc-%d", i))
		texts = append(texts, words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))])
	}
	vecs = make([]float32, n*d)
	for i := range vecs {
		vecs[i] = float32(rng.NormFloat64())
	}
	return ids, texts, vecs
}

// exact returns the k best documents for q by inner product, in float64.
func exact(vecs []float32, d int, q []float32, k int) ([]int, []float64) {
	n := len(vecs) / d
	s := make([]float64, n)
	order := make([]int, n)
	for i := range n {
		order[i] = i
		for j := range d {
			s[i] += float64(q[j]) * float64(vecs[i*d+j])
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if s[a] > s[b] {
			return -1
		}
		if s[a] < s[b] {
			return 1
		}
		return 0
	})
	order = order[:k]
	out := make([]float64, k)
	for i, o := range order {
		out[i] = s[o]
	}
	return order, out
}

// TestExportNearVector exports a random collection into a flat class of
// a real server and checks, against float64 inner products, that
// NearVector returns the exact top k with the documents' vectors intact;
// that exporting again changes nothing (idempotent), that an export
// stopped midway resumes from its state file, and that another
// collection's export into the class is refused.
func TestExportNearVector(t *testing.T) {
	node := weaviatetest.Start(t)
	ctx := context.Background()
	const n, d, k = 1500, 24, 50
	ids, texts, vecs := collection(n, d, 1)
	target := weaviate.Target{Host: node.Host, Port: node.Port, Class: "Random"}
	c := weaviate.NewClient(target, nil)
	meta := map[string]string{"model_sha256": "m1", "corpus_sha256": "c1"}
	state := filepath.Join(t.TempDir(), "export.state")

	// Stopped after the third batch of 200: the state records 600.
	cctx, cancel := context.WithCancel(ctx)
	var batches int
	opts := weaviate.ExportOptions{Class: weaviate.ClassConfig{Index: "flat"}, Batch: 200, State: state,
		Progress: func(done, total int) {
			if batches++; batches == 3 {
				cancel()
			}
		}}
	rep, err := weaviate.Export(cctx, c, ids, texts, vecs, d, meta, opts)
	if !errors.Is(err, context.Canceled) || !rep.Created || rep.Sent != 600 {
		t.Fatalf("stopped export: %+v, %v; want canceled after 600 sent", rep, err)
	}
	opts.Progress = nil
	rep, err = weaviate.Export(ctx, c, ids, texts, vecs, d, meta, opts)
	if err != nil || rep.Created || rep.Resumed != 600 || rep.Sent != n-600 || rep.Count != n {
		t.Fatalf("resumed export: %+v, %v; want 600 resumed, %d sent, %d in the class", rep, err, n-600, n)
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after a complete export: %v", err)
	}
	// Again, without a state file: everything sent again, nothing added.
	opts.State = ""
	if rep, err = weaviate.Export(ctx, c, ids, texts, vecs, d, meta, opts); err != nil || rep.Sent != n || rep.Count != n {
		t.Fatalf("repeated export: %+v, %v", rep, err)
	}
	cl, err := c.Class(ctx)
	if err != nil || cl == nil || cl.Index != "flat" || cl.Distance != "dot" || cl.Meta["dim"] != "24" || cl.Meta["documents"] != "1500" || cl.Meta["model_sha256"] != "m1" {
		t.Fatalf("class: %+v, %v", cl, err)
	}

	rng := rand.New(rand.NewPCG(9, 9))
	swaps := 0
	for range 20 {
		q := make([]float32, d)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		res, err := c.NearVector(ctx, q, k, true)
		if err != nil {
			t.Fatal(err)
		}
		want, scores := exact(vecs, d, q, k)
		if len(res) != k {
			t.Fatalf("%d results, want %d", len(res), k)
		}
		for i, r := range res {
			if math.Abs(float64(r.Score)-scores[i]) > 1e-5*math.Max(1, math.Abs(scores[i])) {
				t.Fatalf("rank %d: score %g, want %g", i+1, r.Score, scores[i])
			}
			w := want[i]
			if r.DocID != ids[w] {
				if math.Abs(scores[i]-scores[max(0, i-1)]) > 1e-5 && (i+1 >= k || math.Abs(scores[i]-scores[i+1]) > 1e-5) {
					t.Fatalf("rank %d: %s, want %s (score %g)", i+1, r.DocID, ids[w], scores[i])
				}
				swaps++
				continue
			}
			if !slices.Equal(r.Vector, vecs[w*d:(w+1)*d]) {
				t.Fatalf("rank %d: %s's vector came back changed", i+1, r.DocID)
			}
		}
	}
	if swaps > 0 {
		t.Logf("%d ranks hold one of two documents tied to within 1e-5 in the other order", swaps)
	}

	// The engine's own BM25: results, with scores, for a word every
	// text may hold.
	res, err := c.BM25(ctx, "shock wave", 10)
	if err != nil || len(res) != 10 || !(res[0].Score > 0) || res[0].Score < res[9].Score {
		t.Fatalf("BM25: %+v, %v", res, err)
	}

	// Another collection (other vectors: another model), or another
	// index type, into the same class: refused before anything is sent.
	for _, tc := range []struct {
		meta  map[string]string
		index string
		want  string
	}{
		{map[string]string{"model_sha256": "m2", "corpus_sha256": "c1"}, "flat", "model_sha256 m1, this export's m2"},
		{meta, "hnsw", "has a flat index, not hnsw"},
	} {
		rep, err := weaviate.Export(ctx, c, ids, texts, vecs, d, tc.meta, weaviate.ExportOptions{Class: weaviate.ClassConfig{Index: tc.index}})
		if err == nil || !strings.Contains(err.Error(), tc.want) || rep.Sent != 0 {
			t.Errorf("export into another collection's class: %+v, %v; want an error containing %q", rep, err, tc.want)
		}
	}
	// A state file of another export is refused, not trusted.
	os.WriteFile(state, []byte(`{"target":"weaviate://127.0.0.1:1/Other","meta":{},"done":700}`), 0o644)
	if _, err := weaviate.Export(ctx, c, ids, texts, vecs, d, meta, weaviate.ExportOptions{Class: weaviate.ClassConfig{Index: "flat"}, State: state}); err == nil || !strings.Contains(err.Error(), "another collection") {
		t.Errorf("foreign state file: %v", err)
	}
	if err := c.DeleteClass(ctx); err != nil {
		t.Fatal(err)
	}
	if cl, err := c.Class(ctx); cl != nil || err != nil {
		t.Errorf("class after delete: %+v, %v", cl, err)
	}
}

// TestReplicaKill runs three Weaviate nodes on this host as one cluster,
// exports a collection into a flat class replicated to all three, and
// kills one node (SIGKILL) while queries go on through the other two. It
// reports the queries that failed and the results that differed from
// the answers before the kill; after the kill has been noticed, every
// query must answer, and answer as before.
func TestReplicaKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three Weaviate nodes: full suite only")
	}
	nodes := weaviatetest.StartCluster(t, 3)
	ctx := context.Background()
	const n, d, k, nq = 3000, 32, 20, 40
	ids, texts, vecs := collection(n, d, 3)
	clients := make([]*weaviate.Client, 3)
	for i, node := range nodes {
		clients[i] = weaviate.NewClient(weaviate.Target{Host: node.Host, Port: node.Port, Class: "Replicated"}, nil)
	}
	rep, err := weaviate.Export(ctx, clients[0], ids, texts, vecs, d, map[string]string{"model_sha256": "m"},
		weaviate.ExportOptions{Class: weaviate.ClassConfig{Index: "flat", Replication: 3}, Batch: 500})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clients[1].Class(ctx)
	if err != nil || cl == nil || cl.Replication != 3 {
		t.Fatalf("class seen from node1: %+v, %v; want replication 3", cl, err)
	}
	t.Logf("exported %d documents, replication factor %d, %d nodes", rep.Count, cl.Replication, len(nodes))

	rng := rand.New(rand.NewPCG(4, 4))
	queries := make([][]float32, nq)
	want := make([][]string, nq)
	for q := range queries {
		queries[q] = make([]float32, d)
		for i := range queries[q] {
			queries[q][i] = float32(rng.NormFloat64())
		}
		top, _ := exact(vecs, d, queries[q], k)
		for _, o := range top {
			want[q] = append(want[q], ids[o])
		}
	}
	// check asks query q through client c and reports an error or a
	// result list other than the exact one.
	check := func(c *weaviate.Client, q int) (failed, differed bool, err error) {
		res, err := c.NearVector(ctx, queries[q], k, false)
		if err != nil {
			return true, false, err
		}
		if len(res) != k {
			return false, true, nil
		}
		for i, r := range res {
			if r.DocID != want[q][i] {
				return false, true, nil
			}
		}
		return false, false, nil
	}
	for q := range nq {
		for i, c := range clients {
			if failed, differed, err := check(c, q); failed || differed {
				t.Fatalf("before the kill, node%d, query %d: failed %v (%v), differed %v", i, q, failed, err, differed)
			}
		}
	}

	// Queries through node0 and node1 while node2 is killed.
	var asked, failed, differed int
	var firstErr error
	loop := func(rounds int) {
		for r := range rounds {
			for q := range nq {
				f, dd, err := check(clients[(r+q)%2], q)
				asked++
				if f {
					failed++
					if firstErr == nil {
						firstErr = err
					}
				}
				if dd {
					differed++
				}
			}
		}
	}
	loop(2)
	nodes[2].Kill()
	killedAt := asked
	// For ten seconds after the kill: the cluster's failure detection
	// (memberlist's probes) takes seconds, and the queries in that window
	// are the ones at risk.
	for began := time.Now(); time.Since(began) < 10*time.Second; {
		loop(1)
	}
	t.Logf("node2 killed after %d queries; of %d queries through node0 and node1 around the kill (the last %d in the ten seconds after it): %d failed, %d answered otherwise than before (first error: %v)",
		killedAt, asked, asked-killedAt, failed, differed, firstErr)

	// Once the cluster has noticed (bounded), every query answers as
	// before.
	deadline := time.Now().Add(time.Minute)
	for {
		bad := 0
		var lastErr error
		for q := range nq {
			for _, c := range clients[:2] {
				if f, dd, err := check(c, q); f || dd {
					bad++
					lastErr = err
				}
			}
		}
		if bad == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after node2 was killed, %d of %d queries through the two live nodes still fail or differ (last error: %v)", bad, 2*nq, lastErr)
		}
		time.Sleep(time.Second)
	}
	if n, err := clients[0].Count(ctx); err != nil || n != rep.Count {
		t.Errorf("count through node0 after the kill: %d, %v; want %d", n, err, rep.Count)
	}
}
