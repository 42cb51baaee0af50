// Package weaviate puts rrra's vectors into a Weaviate vector database
// and takes candidates back out of it, over Weaviate's REST and GraphQL
// API, so that rrra runs beside a database that people already operate
// rather than growing a cluster of its own. Export imports a corpus's
// ids, texts and vectors (batched, idempotent, resumable); a Client's
// NearVector returns the engine's top k for a query vector, with the
// documents' vectors, ready for the RRRA adapter to rerank
// (adapter.Reranker.Rerank); BM25 returns the engine's own keyword
// ranking, another system's run.
//
// A class that rrra exports records in its description what its vectors
// are (rrra's model and corpus fingerprints, the dimension, the number
// of documents), so that vectors of another model are refused rather
// than searched with this model's queries. Scores are inner products:
// classes are created with Weaviate's "dot" distance, whose distance is
// the negated inner product.
//
// Only plain HTTP is spoken (a database on loopback or inside a
// cluster's network); there is no authentication.
package weaviate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rrra/rrra/retrieval/index"
)

// A Target is a class of a Weaviate server, written
// weaviate://HOST:PORT/CLASS.
type Target struct {
	Host  string // host name or IP address
	Port  int    // the REST port, 1 to 65535
	Class string // the class (collection) name
}

// className is Weaviate's rule for class names, with the first letter a
// capital (Weaviate would capitalise it silently, and rrra would then
// look for a class that is not there).
var className = regexp.MustCompile(`^[A-Z][_0-9A-Za-z]{0,254}$`)

// ParseTarget parses weaviate://HOST:PORT/CLASS.
func ParseTarget(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("weaviate: %q: %w", s, err)
	}
	if u.Scheme != "weaviate" {
		return Target{}, fmt.Errorf("weaviate: %q: want weaviate://HOST:PORT/CLASS", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("weaviate: %q: want weaviate://HOST:PORT/CLASS, without user, query or fragment", s)
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" {
		return Target{}, fmt.Errorf("weaviate: %q: want HOST:PORT after weaviate://", s)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return Target{}, fmt.Errorf("weaviate: %q: port %q: want 1 to 65535", s, portStr)
	}
	class := strings.TrimPrefix(u.Path, "/")
	if !className.MatchString(class) {
		return Target{}, fmt.Errorf("weaviate: %q: class %q: want a capital letter, then letters, digits or _", s, class)
	}
	return Target{Host: host, Port: port, Class: class}, nil
}

// String returns t as weaviate://HOST:PORT/CLASS.
func (t Target) String() string {
	return "weaviate://" + net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) + "/" + t.Class
}

// A Client talks to one class of one Weaviate server.
type Client struct {
	target Target
	base   string
	http   *http.Client
}

// NewClient returns a client of t's class. hc nil means a client with a
// one-minute timeout per request.
func NewClient(t Target, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	return &Client{target: t, base: "http://" + net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) + "/v1", http: hc}
}

// Target returns the client's class.
func (c *Client) Target() Target { return c.target }

// An APIError is a response of the server other than success.
type APIError struct {
	Method, Path string
	Status       int    // HTTP status, or 200 for GraphQL errors
	Message      string // the server's message
}

func (e *APIError) Error() string {
	return fmt.Sprintf("weaviate: %s %s: %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// do sends a request with body (JSON-encoded when not nil) and decodes
// the response into out (when not nil). A 404 is an *APIError with
// Status 404.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("weaviate: %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return fmt.Errorf("weaviate: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("weaviate %s: %w", c.target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("weaviate: %s %s: reading the response: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &APIError{method, path, resp.StatusCode, errorMessage(b)}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("weaviate: %s %s: decoding the response: %w", method, path, err)
	}
	return nil
}

// errorMessage extracts Weaviate's error messages from a response body
// ({"error": [{"message": ...}]}), or returns the body, cut short.
func errorMessage(b []byte) string {
	var e struct {
		Error []struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && len(e.Error) > 0 {
		var m []string
		for _, x := range e.Error {
			m = append(m, x.Message)
		}
		return strings.Join(m, "; ")
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// Ready reports whether the server answers that it is ready.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/.well-known/ready", nil, nil)
}

// ClassConfig is how Export creates a class.
type ClassConfig struct {
	// Index is the vector index: "hnsw" (approximate, Weaviate's
	// default) or "flat" (exact: every vector scored).
	Index string
	// Replication is the number of copies of each shard (0: 1).
	Replication int
	// Shards is the number of shards the class is split into (0: one
	// per node).
	Shards int
}

// check reports a configuration Weaviate would refuse or that rrra does
// not know.
func (cc ClassConfig) check() error {
	if cc.Index != "hnsw" && cc.Index != "flat" {
		return fmt.Errorf("weaviate: vector index %q: want hnsw or flat", cc.Index)
	}
	if cc.Replication < 0 || cc.Replication > 64 || cc.Shards < 0 || cc.Shards > 1<<12 {
		return fmt.Errorf("weaviate: replication %d, shards %d: want 0 to 64 and 0 to 4096 (0: the server's default)", cc.Replication, cc.Shards)
	}
	return nil
}

// metaPrefix starts the description of a class rrra exported; the rest
// is its Meta as JSON.
const metaPrefix = "rrra vectors: "

// Class is what rrra reads of a class's schema.
type Class struct {
	Name        string
	Index       string            // hnsw or flat
	Distance    string            // dot for a class rrra made
	Replication int               // copies of each shard
	Meta        map[string]string // what rrra recorded; nil for a class rrra did not make
}

// schemaClass is the JSON of a class in Weaviate's schema API.
type schemaClass struct {
	Class             string         `json:"class"`
	Description       string         `json:"description,omitempty"`
	Vectorizer        string         `json:"vectorizer,omitempty"`
	VectorIndexType   string         `json:"vectorIndexType,omitempty"`
	VectorIndexConfig map[string]any `json:"vectorIndexConfig,omitempty"`
	Properties        []property     `json:"properties,omitempty"`
	ReplicationConfig *struct {
		Factor int `json:"factor"`
	} `json:"replicationConfig,omitempty"`
	ShardingConfig map[string]any `json:"shardingConfig,omitempty"`
}

type property struct {
	Name            string   `json:"name"`
	DataType        []string `json:"dataType"`
	Tokenization    string   `json:"tokenization,omitempty"`
	IndexSearchable *bool    `json:"indexSearchable,omitempty"`
}

// Class returns the class's schema, or nil when the server has no such
// class.
func (c *Client) Class(ctx context.Context) (*Class, error) {
	var sc schemaClass
	err := c.do(ctx, http.MethodGet, "/schema/"+c.target.Class, nil, &sc)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sc.Class == "" {
		return nil, nil
	}
	cl := &Class{Name: sc.Class, Index: sc.VectorIndexType, Replication: 1}
	if d, ok := sc.VectorIndexConfig["distance"].(string); ok {
		cl.Distance = d
	}
	if sc.ReplicationConfig != nil {
		cl.Replication = sc.ReplicationConfig.Factor
	}
	if m, ok := strings.CutPrefix(sc.Description, metaPrefix); ok {
		if err := json.Unmarshal([]byte(m), &cl.Meta); err != nil {
			return nil, fmt.Errorf("weaviate %s: the class's description starts %q but the rest is not rrra's record: %w", c.target, metaPrefix, err)
		}
	}
	return cl, nil
}

// CreateClass creates the class: no vectorizer (rrra gives the vectors),
// dot-product distance, the properties docid (the corpus id, matched
// whole) and text (searchable by the engine's BM25), and meta recorded
// in its description.
func (c *Client) CreateClass(ctx context.Context, cc ClassConfig, meta map[string]string) error {
	if err := cc.check(); err != nil {
		return err
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("weaviate: %w", err)
	}
	no := false
	sc := schemaClass{
		Class:             c.target.Class,
		Description:       metaPrefix + string(m),
		Vectorizer:        "none",
		VectorIndexType:   cc.Index,
		VectorIndexConfig: map[string]any{"distance": "dot"},
		Properties: []property{
			{Name: "docid", DataType: []string{"text"}, Tokenization: "field", IndexSearchable: &no},
			{Name: "text", DataType: []string{"text"}, Tokenization: "word"},
		},
	}
	if cc.Replication > 0 {
		sc.ReplicationConfig = &struct {
			Factor int `json:"factor"`
		}{cc.Replication}
	}
	if cc.Shards > 0 {
		sc.ShardingConfig = map[string]any{"desiredCount": cc.Shards}
	}
	return c.do(ctx, http.MethodPost, "/schema", sc, nil)
}

// CheckVectors refuses a class that cannot serve as the first stage of
// vectors of dimension dim for a corpus of documents documents: one rrra
// export did not write (no record of its vectors), one that ranks by
// another distance than the inner product, or one whose record names
// another dimension or corpus size. Which model and corpus text the
// vectors came from is in Meta, for retrieval.CheckProvenance.
func (cl *Class) CheckVectors(dim, documents int) error {
	switch {
	case cl.Meta == nil:
		return fmt.Errorf("weaviate class %s was not written by rrra export: its vectors may be another model's", cl.Name)
	case cl.Distance != "dot":
		return fmt.Errorf("weaviate class %s ranks by %q distance, not the inner product (dot) the model was trained for", cl.Name, cl.Distance)
	case cl.Meta[MetaDim] != strconv.Itoa(dim):
		return fmt.Errorf("weaviate class %s holds vectors of dimension %s; the model gives %d", cl.Name, cl.Meta[MetaDim], dim)
	case cl.Meta[MetaDocuments] != strconv.Itoa(documents):
		return fmt.Errorf("weaviate class %s holds %s documents; the corpus has %d", cl.Name, cl.Meta[MetaDocuments], documents)
	}
	return nil
}

// DeleteClass deletes the class and every object in it.
func (c *Client) DeleteClass(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/schema/"+c.target.Class, nil, nil)
}

// An Object is one document as rrra exports it.
type Object struct {
	DocID  string    // the corpus's id
	Text   string    // the document's text (title and body)
	Vector []float32 // the document tower's vector
}

// Import writes objects in one batch request. Each object's id is
// ObjectID(class, DocID), so importing a document again replaces it:
// an import is idempotent. An object the server refuses fails the whole
// call with the server's message for it.
func (c *Client) Import(ctx context.Context, objects []Object) error {
	type obj struct {
		Class      string            `json:"class"`
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
		Vector     []float32         `json:"vector"`
	}
	req := struct {
		Objects []obj `json:"objects"`
	}{make([]obj, len(objects))}
	for i, o := range objects {
		req.Objects[i] = obj{c.target.Class, ObjectID(c.target.Class, o.DocID), map[string]string{"docid": o.DocID, "text": o.Text}, o.Vector}
	}
	var resp []struct {
		ID     string `json:"id"`
		Result struct {
			Errors *struct {
				Error []struct {
					Message string `json:"message"`
				} `json:"error"`
			} `json:"errors"`
		} `json:"result"`
	}
	if err := c.do(ctx, http.MethodPost, "/batch/objects", req, &resp); err != nil {
		return err
	}
	if len(resp) != len(objects) {
		return fmt.Errorf("weaviate %s: batch of %d objects answered with %d results", c.target, len(objects), len(resp))
	}
	for i, r := range resp {
		if e := r.Result.Errors; e != nil && len(e.Error) > 0 {
			return fmt.Errorf("weaviate %s: object %d of the batch (document %q): %s", c.target, i, objects[i].DocID, e.Error[0].Message)
		}
	}
	return nil
}

// graphQL runs a GraphQL query and decodes its data into out.
func (c *Client) graphQL(ctx context.Context, query string, out any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := c.do(ctx, http.MethodPost, "/graphql", map[string]string{"query": query}, &resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		var m []string
		for _, e := range resp.Errors {
			m = append(m, e.Message)
		}
		return &APIError{http.MethodPost, "/graphql", http.StatusOK, strings.Join(m, "; ")}
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return fmt.Errorf("weaviate %s: decoding GraphQL data: %w", c.target, err)
	}
	return nil
}

// Count returns the number of objects in the class.
func (c *Client) Count(ctx context.Context) (int, error) {
	var data struct {
		Aggregate map[string][]struct {
			Meta struct {
				Count int `json:"count"`
			} `json:"meta"`
		} `json:"Aggregate"`
	}
	if err := c.graphQL(ctx, "{ Aggregate { "+c.target.Class+" { meta { count } } } }", &data); err != nil {
		return 0, err
	}
	rows := data.Aggregate[c.target.Class]
	if len(rows) != 1 {
		return 0, fmt.Errorf("weaviate %s: Aggregate returned %d rows, want 1", c.target, len(rows))
	}
	return rows[0].Meta.Count, nil
}

// A Result is one document the engine returned: its corpus id, its score
// (the inner product with the query vector for NearVector, the engine's
// BM25 score for BM25) and, when asked for, its vector.
type Result struct {
	DocID  string
	Score  float32
	Vector []float32
}

// MaxK is the most results one query asks for: Weaviate's default
// QUERY_MAXIMUM_RESULTS.
const MaxK = 10000

// NearVector returns the engine's k nearest documents to the vector q by
// inner product, best first, with their vectors when withVectors is
// set. The score is the negated "dot" distance the engine computed, in
// float32 as the engine did.
func (c *Client) NearVector(ctx context.Context, q []float32, k int, withVectors bool) ([]Result, error) {
	if k < 1 || k > MaxK {
		return nil, fmt.Errorf("weaviate: k %d: want 1 to %d", k, MaxK)
	}
	var b strings.Builder
	b.WriteString("{ Get { ")
	b.WriteString(c.target.Class)
	b.WriteString("(nearVector: {vector: ")
	writeVector(&b, q)
	fmt.Fprintf(&b, "}, limit: %d) { docid _additional { distance", k)
	if withVectors {
		b.WriteString(" vector")
	}
	b.WriteString(" } } } }")
	return c.get(ctx, b.String(), func(a additional) (float32, error) {
		if a.Distance == nil {
			return 0, errors.New("no distance in a nearVector result")
		}
		return -float32(*a.Distance), nil
	})
}

// BM25 returns the engine's own BM25 ranking of the class's texts for
// query (Weaviate's keyword search, k1 1.2, b 0.75 unless the class says
// otherwise): another system's run, for rrra rerank.
func (c *Client) BM25(ctx context.Context, query string, k int) ([]Result, error) {
	if k < 1 || k > MaxK {
		return nil, fmt.Errorf("weaviate: k %d: want 1 to %d", k, MaxK)
	}
	q, err := json.Marshal(query) // a JSON string is a GraphQL string
	if err != nil {
		return nil, err
	}
	gql := fmt.Sprintf(`{ Get { %s(bm25: {query: %s, properties: ["text"]}, limit: %d) { docid _additional { score } } } }`, c.target.Class, q, k)
	return c.get(ctx, gql, func(a additional) (float32, error) {
		if a.Score == nil {
			return 0, errors.New("no score in a bm25 result")
		}
		s, err := strconv.ParseFloat(*a.Score, 32)
		return float32(s), err
	})
}

// writeVector writes v as a GraphQL list of floats, each in the fewest
// digits that parse back to the same float32.
func writeVector(b *strings.Builder, v []float32) {
	b.WriteByte('[')
	var num []byte
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		num = strconv.AppendFloat(num[:0], float64(x), 'g', -1, 32)
		b.Write(num)
	}
	b.WriteByte(']')
}

// additional is a result's _additional fields.
type additional struct {
	Distance *float64  `json:"distance"`
	Score    *string   `json:"score"`
	Vector   []float32 `json:"vector"`
}

// get runs a Get query and reads its results' docid, score and vector.
func (c *Client) get(ctx context.Context, gql string, score func(additional) (float32, error)) ([]Result, error) {
	var data struct {
		Get map[string][]struct {
			DocID      string     `json:"docid"`
			Additional additional `json:"_additional"`
		} `json:"Get"`
	}
	if err := c.graphQL(ctx, gql, &data); err != nil {
		return nil, err
	}
	rows := data.Get[c.target.Class]
	out := make([]Result, len(rows))
	for i, r := range rows {
		s, err := score(r.Additional)
		if err != nil {
			return nil, fmt.Errorf("weaviate %s: result %d: %w", c.target, i, err)
		}
		out[i] = Result{DocID: r.DocID, Score: s, Vector: r.Additional.Vector}
	}
	return out, nil
}

// Search runs NearVector for each of nq query vectors (rows of qv, of
// dimension dim) and returns each query's k results as hits numbered in
// the corpus (docNum gives a document id's number; an id it does not know
// is an error: the class holds another corpus), best first, and, when
// withVectors is set, the vectors of every document returned, by number.
func (c *Client) Search(ctx context.Context, qv []float32, nq, dim, k int, withVectors bool, docNum func(id string) (int, bool)) ([][]index.Hit, map[int][]float32, error) {
	if dim < 1 || len(qv) != nq*dim {
		return nil, nil, fmt.Errorf("weaviate: search: %d floats for %d queries of dimension %d", len(qv), nq, dim)
	}
	hits := make([][]index.Hit, nq)
	var vecs map[int][]float32
	if withVectors {
		vecs = make(map[int][]float32)
	}
	for q := range nq {
		res, err := c.NearVector(ctx, qv[q*dim:(q+1)*dim], k, withVectors)
		if err != nil {
			return nil, nil, fmt.Errorf("query %d: %w", q, err)
		}
		hits[q] = make([]index.Hit, len(res))
		for i, r := range res {
			n, ok := docNum(r.DocID)
			if !ok {
				return nil, nil, fmt.Errorf("weaviate %s: document %q is not in the corpus: the class holds another collection", c.target, r.DocID)
			}
			hits[q][i] = index.Hit{Doc: n, Score: r.Score}
			if withVectors {
				if len(r.Vector) != dim {
					return nil, nil, fmt.Errorf("weaviate %s: document %q came back with a vector of dimension %d, want %d", c.target, r.DocID, len(r.Vector), dim)
				}
				vecs[n] = r.Vector
			}
		}
	}
	return hits, vecs, nil
}

// Indexed returns the vector the class's vector index holds for document
// docID, or nil when the index does not hold the document (though the
// object store may): a nearVector search with probe, filtered to the
// document, which reads the vector index.
func (c *Client) Indexed(ctx context.Context, docID string, probe []float32) ([]float32, error) {
	id, err := json.Marshal(docID)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{ Get { %s(nearVector: {vector: ", c.target.Class)
	writeVector(&b, probe)
	fmt.Fprintf(&b, `}, where: {path: ["docid"], operator: Equal, valueText: %s}, limit: 1) { docid _additional { distance vector } } } }`, id)
	res, err := c.get(ctx, b.String(), func(additional) (float32, error) { return 0, nil })
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if r.DocID == docID {
			if r.Vector == nil {
				return []float32{}, nil
			}
			return r.Vector, nil
		}
	}
	return nil, nil
}

// DeleteObject deletes document docID's object, if there is one.
func (c *Client) DeleteObject(ctx context.Context, docID string) error {
	err := c.do(ctx, http.MethodDelete, "/objects/"+c.target.Class+"/"+ObjectID(c.target.Class, docID), nil, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil
	}
	return err
}
