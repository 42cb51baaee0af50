package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testDeadline bounds a test that waits on the network: a hung server
// fails the test with a message instead of hanging it. It is not a speed
// limit.
const testDeadline = 2 * time.Minute

// get sends a GET to url under ctx and returns the status code and the
// body; a transport error fails the test.
func get(t *testing.T, ctx context.Context, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the answer: %v", url, err)
	}
	return resp.StatusCode, b
}

// firstRead signals settle the first time the request body is read.
type firstRead struct {
	io.ReadCloser
	settle func()
}

func (r *firstRead) Read(p []byte) (int, error) {
	r.settle()
	return r.ReadCloser.Read(p)
}

// TestSlowBodiesTakeNoSlot opens more slow-body POSTs than the server has
// in-flight slots (headers and a few bytes of a body announced longer,
// then nothing) and, while they are all open and their handlers are
// waiting on their bodies (or have already answered), requires a normal
// search to be answered 200 with results: a request holds a slot only
// for its encode and search, never while its body arrives.
func TestSlowBodiesTakeNoSlot(t *testing.T) {
	// A small limit, and serve's documented default (--max-inflight 64)
	// against more slow bodies than it has slots.
	for _, c := range []struct{ inflight, slow int }{{2, 6}, {64, 72}} {
		t.Run(fmt.Sprintf("%d slots, %d slow bodies", c.inflight, c.slow), func(t *testing.T) {
			slowBodies(t, c.inflight, c.slow)
		})
	}
}

// slowBodies opens slow POSTs that send their headers and a few body
// bytes, more than the server's in-flight slots, and checks a normal
// search still answers while they are open.
func slowBodies(t *testing.T, inflight, slow int) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{MaxInflight: inflight})
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	// settled receives once per slow request: when its handler first
	// reads the body, or when it returns without having read it.
	settled := make(chan struct{}, slow)
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" {
			h.ServeHTTP(w, r)
			return
		}
		var once sync.Once
		settle := func() { once.Do(func() { settled <- struct{}{} }) }
		r.Body = &firstRead{ReadCloser: r.Body, settle: settle}
		defer settle()
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close() // the slow handlers' reads fail: ts.Close can finish
		}
	}()
	deadline, _ := ctx.Deadline()
	for i := range slow {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
		conns = append(conns, c)
		c.SetDeadline(deadline)
		if _, err := fmt.Fprintf(c, "POST /search HTTP/1.1\r\nHost: rrra\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"queries\":"); err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
	}
	for i := range slow {
		select {
		case <-settled:
		case <-ctx.Done():
			t.Fatalf("only %d of %d slow requests reached their handlers within %v", i, slow, testDeadline)
		}
	}
	code, b := get(t, ctx, ts.URL+"/search?k=3&q="+url.QueryEscape("boundary layer"))
	var r Result
	if code != http.StatusOK || json.Unmarshal(b, &r) != nil || len(r.Hits) != 3 {
		t.Fatalf("with %d slow bodies open and %d slots: %d %s, want 200 with 3 hits", slow, inflight, code, b)
	}
}

// longQuery is a query of about 700 tokens: beyond the mini model's
// max_position_embeddings (512) when the encoder is let read 600.
var longQuery = strings.TrimSpace(strings.Repeat("a ", 700))

// overLongEncoder lets s's encoder read queries of 600 tokens, more than
// its model's 512 positions (New refuses such an encoder; set after New,
// before the first search, it makes longQuery fail in the model itself).
func overLongEncoder(s *Server) { s.enc.QueryMaxLen = 600 }

// TestFailedSearchDoesNotPoison makes the model fail on one query (an
// over-long one) and requires the failure to end with that request: it is
// answered 500 with a JSON error, and the next search is answered 200
// with results, and /healthz 200.
func TestFailedSearchDoesNotPoison(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{BatchQueries: 1})
	overLongEncoder(s)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	code, b := get(t, ctx, ts.URL+"/search?q="+url.QueryEscape(longQuery))
	var e struct{ Error string }
	if code != http.StatusInternalServerError || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, "max_position_embeddings") {
		t.Fatalf("the over-long query: %d %s, want 500 with a JSON error naming max_position_embeddings", code, b)
	}
	for i := range 2 {
		code, b = get(t, ctx, ts.URL+"/search?k=3&q=flow")
		var r Result
		if code != http.StatusOK || json.Unmarshal(b, &r) != nil || len(r.Hits) != 3 {
			t.Fatalf("search %d after the failure: %d %s, want 200 with 3 hits", i+1, code, b)
		}
	}
	if code, b = get(t, ctx, ts.URL+"/healthz"); code != http.StatusOK || !bytes.Contains(b, []byte(`"status":"ok"`)) {
		t.Fatalf("/healthz after the failure: %d %s, want 200 ok", code, b)
	}
}

// TestFailingQueryFailsAlone puts a query the model fails on in one batch
// with good ones: only its own request fails; the others, batched with
// it, are answered with the results they get alone.
func TestFailingQueryFailsAlone(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{BatchQueries: 8})
	overLongEncoder(s)
	entered, release := holdBatcher(s)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	type answer struct {
		q   string
		res []Result
		err error
	}
	queries := []string{"heat transfer", longQuery, "shock waves", "boundary layer"}
	answers := make(chan answer, len(queries))
	search := func(q string) {
		r, err := s.Search(ctx, []string{q}, 5, Dense)
		answers <- answer{q, r, err}
	}
	go search(queries[0])
	select {
	case <-entered: // the batcher holds the first request in its own batch
	case <-ctx.Done():
		t.Fatal("the batcher never took the first request")
	}
	for _, q := range queries[1:] {
		go search(q)
	}
	for len(s.queue) < len(queries)-1 { // the rest wait, to be batched together
		select {
		case <-ctx.Done():
			t.Fatal("the requests never queued")
		case <-time.After(time.Millisecond):
		}
	}
	release()
	for range queries {
		a := <-answers
		if a.q == longQuery {
			if a.err == nil || !strings.Contains(a.err.Error(), "max_position_embeddings") {
				t.Errorf("the over-long query: %v, want the model's error", a.err)
			}
			continue
		}
		if a.err != nil || len(a.res) != 1 || len(a.res[0].Hits) != 5 {
			t.Errorf("%q, batched with the failing query: %v %+v, want 5 hits", a.q, a.err, a.res)
			continue
		}
		alone, err := s.Search(ctx, []string{a.q}, 5, Dense)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range a.res[0].Hits {
			if h.ID != alone[0].Hits[i].ID {
				t.Errorf("%q rank %d: %s batched, %s alone", a.q, i+1, h.ID, alone[0].Hits[i].ID)
			}
		}
	}
}

// TestHealthzReflectsSearches makes every search fail (an injected
// encoder) and requires /healthz to answer 503 with the reason, a search
// 500 with a JSON error; once the encoder works again, /healthz answers
// 200 without any search in between (its probe finds it).
func TestHealthzReflectsSearches(t *testing.T) {
	checkNoLeak(t)
	s := newBatchServer(t, Options{})
	working := s.encode
	var broken atomic.Bool
	broken.Store(true)
	s.encode = func(texts []string) ([]float32, error) {
		if broken.Load() {
			return nil, errors.New("injected encoder failure")
		}
		return working(texts)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	var health struct{ Status, Error string }
	code, b := get(t, ctx, ts.URL+"/healthz")
	if code != http.StatusServiceUnavailable || json.Unmarshal(b, &health) != nil || health.Status == "ok" || !strings.Contains(health.Error, "injected encoder failure") {
		t.Fatalf("/healthz with a failing encoder, before any search: %d %s, want 503 with the reason", code, b)
	}
	code, b = get(t, ctx, ts.URL+"/search?q=flow")
	if code != http.StatusInternalServerError || !bytes.Contains(b, []byte(`"error":`)) || !bytes.Contains(b, []byte("injected encoder failure")) {
		t.Fatalf("a search with a failing encoder: %d %s, want 500 with a JSON error", code, b)
	}
	if code, b = get(t, ctx, ts.URL+"/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz after a failed search: %d %s, want 503", code, b)
	}
	broken.Store(false)
	if code, b = get(t, ctx, ts.URL+"/healthz"); code != http.StatusOK || !bytes.Contains(b, []byte(`"status":"ok"`)) {
		t.Fatalf("/healthz once the encoder works: %d %s, want 200 ok", code, b)
	}
	if code, b = get(t, ctx, ts.URL+"/search?q=flow"); code != http.StatusOK {
		t.Fatalf("a search once the encoder works: %d %s, want 200", code, b)
	}
}

// TestPanicsAnswer500 makes the model panic in one batch and a handler
// panic, and requires each to be answered 500 with a JSON error and
// logged, and the server to go on answering.
func TestPanicsAnswer500(t *testing.T) {
	checkNoLeak(t)
	var logged syncBuffer
	s := newBatchServer(t, Options{ErrorLog: log.New(&logged, "", 0)})
	working := s.encode
	var panicked atomic.Bool
	s.encode = func(texts []string) ([]float32, error) {
		if !panicked.Swap(true) {
			panic("injected model panic")
		}
		return working(texts)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	code, b := get(t, ctx, ts.URL+"/search?q=flow")
	if code != http.StatusInternalServerError || !bytes.Contains(b, []byte(`"error":"internal error`)) {
		t.Fatalf("a search whose model panics: %d %s, want 500 with a JSON error", code, b)
	}
	if !strings.Contains(logged.String(), "injected model panic") {
		t.Errorf("the model's panic was not logged: %q", logged.String())
	}
	if code, b = get(t, ctx, ts.URL+"/search?q=flow"); code != http.StatusOK {
		t.Fatalf("the search after the panic: %d %s, want 200", code, b)
	}

	// A panic in a handler itself (the wrapper Handler puts around every
	// route), before and after it has written.
	for _, c := range []struct {
		name  string
		h     http.HandlerFunc
		code  int
		error bool
	}{
		{"before writing", func(w http.ResponseWriter, r *http.Request) { panic("injected handler panic") }, 500, true},
		{"after writing", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			panic("injected handler panic")
		}, http.StatusTeapot, false},
	} {
		logged.Reset()
		rec := httptest.NewRecorder()
		s.recovering(c.h).ServeHTTP(rec, httptest.NewRequest("GET", "/search?q=x", nil))
		if rec.Code != c.code || bytes.Contains(rec.Body.Bytes(), []byte(`"error":"internal error`)) != c.error {
			t.Errorf("%s: %d %s, want %d (an error body: %v)", c.name, rec.Code, rec.Body.Bytes(), c.code, c.error)
		}
		if !strings.Contains(logged.String(), "injected handler panic") {
			t.Errorf("%s: the panic was not logged: %q", c.name, logged.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// TestNewRefusesEncoderBeyondModel checks that New refuses an encoder
// whose query length exceeds its model's positions (it would fail on
// every long query) or is below 3.
func TestNewRefusesEncoderBeyondModel(t *testing.T) {
	f := loadFixture(t)
	for _, n := range []int{600, 2} {
		enc, err := newEncoder()
		if err != nil {
			t.Fatal(err)
		}
		enc.QueryMaxLen = n
		o := Options{MaxK: 50, MaxQuery: 2000, MaxBatch: 64, RerankK: 100, MaxInflight: 8, Timeout: time.Second}
		if s, err := New(f.d, enc, f.ix, nil, o); err == nil {
			s.Close()
			t.Errorf("an encoder reading queries of %d tokens: accepted", n)
		} else if !strings.Contains(err.Error(), "query length") {
			t.Errorf("query length %d: %v, want an error naming the query length", n, err)
		}
	}
}
