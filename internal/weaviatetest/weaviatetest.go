// Package weaviatetest starts real Weaviate servers for rrra's tests: one
// node, or a cluster of several nodes on this host (separate ports and
// data folders), on loopback, each torn down when its test ends.
//
// The server is Weaviate's own weaviate-server, built from the Go module
// proxy with CGO_ENABLED=0 (deploy/weaviate/build.sh); the binary is
// looked for at $RRRA_WEAVIATE, then in the cache folder that script
// fills. Without it the tests that need it are skipped, saying how to
// build it, unless RRRA_REQUIRE_WEAVIATE=1, which makes its absence a
// failure (CI sets it).
package weaviatetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Weaviate release the tests run against.
const Version = "v1.35.2"

// Binary returns the path of the weaviate-server binary, or "" and why
// there is none.
func Binary() (string, string) {
	if p := os.Getenv("RRRA_WEAVIATE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Sprintf("RRRA_WEAVIATE=%s: %v", p, err)
		}
		return p, ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", "no cache folder: " + err.Error()
	}
	p := filepath.Join(dir, "rrra", "weaviate-"+Version+"-"+runtime.GOOS+"-"+runtime.GOARCH, "weaviate-server")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Sprintf("no Weaviate server at %s: build it with bash deploy/weaviate/build.sh (about 2 minutes, from the Go module proxy), or set RRRA_WEAVIATE", p)
	}
	return p, ""
}

// Require returns the binary's path, or skips the test (fails it when
// RRRA_REQUIRE_WEAVIATE=1) when there is none.
func Require(t testing.TB) string {
	t.Helper()
	p, why := Binary()
	if p == "" {
		if os.Getenv("RRRA_REQUIRE_WEAVIATE") == "1" {
			t.Fatalf("RRRA_REQUIRE_WEAVIATE=1: %s", why)
		}
		t.Skipf("needs a Weaviate server: %s", why)
	}
	return p
}

// A Node is one running weaviate-server.
type Node struct {
	Name    string
	Host    string // 127.0.0.1
	Port    int    // REST port
	DataDir string
	cmd     *exec.Cmd
	log     *lockedBuffer
	done    chan struct{}
}

// Addr returns the node's REST address, HOST:PORT.
func (n *Node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port)) }

// PID returns the node's process id.
func (n *Node) PID() int { return n.cmd.Process.Pid }

// Log returns what the node has printed so far.
func (n *Node) Log() string { return n.log.String() }

// Kill kills the node's process (SIGKILL) and waits for it to end.
func (n *Node) Kill() {
	if n.cmd.Process != nil {
		n.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-n.done
}

// Start starts a one-node server and waits (at most two minutes) until
// it is ready.
func Start(t testing.TB) *Node {
	t.Helper()
	return StartCluster(t, 1)[0]
}

// StartCluster starts n nodes on this host that form one cluster (every
// node a Raft voter), and waits (at most two minutes) until each is
// ready and sees all n.
func StartCluster(t testing.TB, n int) []*Node {
	t.Helper()
	bin := Require(t)
	if n < 1 {
		t.Fatalf("weaviatetest: %d nodes", n)
	}
	dir := t.TempDir()
	type ports struct{ http, gossip, raft, grpc, prof int }
	ps := make([]ports, n)
	var taken []int
	for i := range ps {
		// Gossip and data, and Raft and its internal RPC, take
		// consecutive ports: Weaviate derives the second from the first
		// when its nodes share a host.
		ps[i] = ports{freePorts(t, 1, &taken), freePorts(t, 2, &taken), freePorts(t, 2, &taken), freePorts(t, 1, &taken), freePorts(t, 1, &taken)}
	}
	var join []string
	for i := range ps {
		join = append(join, fmt.Sprintf("node%d:%d", i, ps[i].raft))
	}
	nodes := make([]*Node, n)
	for i, p := range ps {
		node := &Node{Name: fmt.Sprintf("node%d", i), Host: "127.0.0.1", Port: p.http, DataDir: filepath.Join(dir, fmt.Sprintf("node%d", i)), log: &lockedBuffer{}, done: make(chan struct{})}
		env := []string{
			"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
			"PERSISTENCE_DATA_PATH=" + node.DataDir,
			"DEFAULT_VECTORIZER_MODULE=none",
			"ENABLE_MODULES=",
			"DISABLE_TELEMETRY=true",
			"LOG_LEVEL=warning",
			"CLUSTER_HOSTNAME=" + node.Name,
			"CLUSTER_IN_LOCALHOST=true",
			"CLUSTER_ADVERTISE_ADDR=127.0.0.1",
			"CLUSTER_BIND_ADDR=127.0.0.1",
			"CLUSTER_GOSSIP_BIND_PORT=" + strconv.Itoa(p.gossip),
			"CLUSTER_DATA_BIND_PORT=" + strconv.Itoa(p.gossip+1),
			"RAFT_PORT=" + strconv.Itoa(p.raft),
			"RAFT_INTERNAL_RPC_PORT=" + strconv.Itoa(p.raft+1),
			"RAFT_JOIN=" + strings.Join(join, ","),
			"RAFT_BOOTSTRAP_EXPECT=" + strconv.Itoa(n),
			"GRPC_PORT=" + strconv.Itoa(p.grpc),
			"GO_PROFILING_PORT=" + strconv.Itoa(p.prof),
			"QUERY_MAXIMUM_RESULTS=10000",
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + dir,
		}
		if i > 0 {
			env = append(env, "CLUSTER_JOIN=127.0.0.1:"+strconv.Itoa(ps[0].gossip))
		}
		cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(p.http), "--scheme", "http")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = node.log, node.log
		cmd.SysProcAttr = dieWithParent()
		if err := cmd.Start(); err != nil {
			t.Fatalf("weaviatetest: starting %s: %v", bin, err)
		}
		node.cmd = cmd
		go func() { cmd.Wait(); close(node.done) }()
		nodes[i] = node
		// The others join through the first one's gossip port, and a
		// node that finds it closed gives up: wait until it listens.
		if i == 0 && n > 1 {
			if err := waitListen(node, p.gossip, time.Now().Add(time.Minute)); err != nil {
				t.Fatalf("weaviatetest: %s: %v\n%s", node.Name, err, tail(node.Log(), 4096))
			}
		}
		t.Cleanup(func() {
			select {
			case <-node.done:
			default:
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-node.done:
				case <-time.After(20 * time.Second):
					node.Kill()
				}
			}
			if t.Failed() {
				t.Logf("%s's log (last 4 KiB):\n%s", node.Name, tail(node.Log(), 4096))
			}
		})
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, node := range nodes {
		if err := waitReady(node, nodes, deadline); err != nil {
			for _, x := range nodes {
				t.Logf("%s's log (last 4 KiB):\n%s", x.Name, tail(x.Log(), 4096))
			}
			t.Fatalf("weaviatetest: %s: %v", node.Name, err)
		}
	}
	return nodes
}

// waitReady polls the node until it is ready and its /v1/nodes lists
// all nodes healthy, or the deadline passes or one of them ends.
func waitReady(node *Node, all []*Node, deadline time.Time) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	base := "http://" + node.Addr() + "/v1"
	for {
		for _, x := range all {
			select {
			case <-x.done:
				return fmt.Errorf("%s exited before the cluster was ready: %v", x.Name, x.cmd.ProcessState)
			default:
			}
		}
		if ok(hc, base+"/.well-known/ready") && countNodes(hc, base+"/nodes") == len(all) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready with %d nodes after two minutes", len(all))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitListen polls until the node accepts connections on port, or the
// deadline passes or the process ends.
func waitListen(node *Node, port int, deadline time.Time) error {
	addr := net.JoinHostPort(node.Host, strconv.Itoa(port))
	for {
		select {
		case <-node.done:
			return fmt.Errorf("the server exited before it listened on %s: %v", addr, node.cmd.ProcessState)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after a minute", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ok(hc *http.Client, url string) bool {
	resp, err := hc.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode/100 == 2
}

// countNodes returns the number of nodes /v1/nodes reports healthy, or
// -1.
func countNodes(hc *http.Client, url string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		return -1
	}
	return strings.Count(b.String(), `"status":"HEALTHY"`)
}

// freePorts returns the first of k consecutive ports that are free now
// (listened on and closed) and not in taken, and adds them to taken.
func freePorts(t testing.TB, k int, taken *[]int) int {
	t.Helper()
	for range 200 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		good := p+k-1 < 65536
		for j := 0; j < k && good; j++ {
			for _, x := range *taken {
				good = good && x != p+j
			}
			if j > 0 {
				l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+j))
				if err != nil {
					good = false
				} else {
					l.Close()
				}
			}
		}
		if good {
			for j := range k {
				*taken = append(*taken, p+j)
			}
			return p
		}
	}
	t.Fatalf("weaviatetest: no %d free consecutive ports", k)
	return 0
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// lockedBuffer is a bytes.Buffer safe for a process's output and a
// reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
