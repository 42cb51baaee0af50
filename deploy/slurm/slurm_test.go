//go:build linux

package slurm_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jobTimeout bounds the wait for the index array and the merge job: a
// failure bound only (they take seconds here), not a speed assertion.
const jobTimeout = 10 * time.Minute

// TestSlurmShardedIndex starts a single-node Slurm cluster of its own
// (munged, slurmctld and slurmd from Debian's munge and slurm-wlm, every
// file in a temporary folder, on free ports), submits the embedded
// Cranfield collection with a briefly trained model as three shards through
// submit.sh, waits for the index array and the merge job, and checks that
// the merged index, the run searched with it and its scores are byte for
// byte those of a single rrra index, search and eval run here.
//
// It runs only with RRRA_SLURM=1 or RRRA_REQUIRE_SLURM=1, as root; with
// RRRA_REQUIRE_SLURM=1 (CI) a missing prerequisite fails it instead of
// skipping it.
func TestSlurmShardedIndex(t *testing.T) {
	bins := slurmPrerequisites(t)
	base := baseDir(t)
	rrra := buildRRRA(t, filepath.Join(base, "bin"))
	// A model whose vectors tell documents apart (the untrained tiny
	// test model gives nearly every document the same vector, so a run of
	// it is mostly ties): a mini bi-encoder trained for 10 steps, about a
	// second.
	model := filepath.Join(base, "model")
	runOK(t, rrra, "train", "--quiet", "--data", "cranfield", "--out", model, "--config", "mini", "--vocab-size", "800",
		"--steps", "10", "--batch", "8", "--negatives", "2", "--doc-len", "32")
	submit, err := filepath.Abs("submit.sh")
	if err != nil {
		t.Fatalf("locating submit.sh: %v", err)
	}

	// The single-process reference.
	ref := filepath.Join(base, "ref")
	if err := os.Mkdir(ref, 0o755); err != nil {
		t.Fatal(err)
	}
	runOK(t, rrra, "index", "--quiet", "--data", "cranfield", "--model", model, "--doc-len", "32", "--out", filepath.Join(ref, "index.idx"))
	runOK(t, rrra, "search", "--quiet", "--data", "cranfield", "--split", "test", "--method", "dense", "--model", model,
		"--index", filepath.Join(ref, "index.idx"), "--out", filepath.Join(ref, "run.trec"))
	evalJSON := runOK(t, rrra, "eval", "--quiet", "--data", "cranfield", "--split", "test", "--run", filepath.Join(ref, "run.trec"), "--json")
	if err := os.WriteFile(filepath.Join(ref, "eval.json"), []byte(evalJSON), 0o644); err != nil {
		t.Fatal(err)
	}

	c := startCluster(t, bins, base)

	out := filepath.Join(base, "out")
	cmd := exec.Command("bash", submit)
	cmd.Env = append(c.env(),
		"RRRA="+rrra, "DATA=cranfield", "MODEL="+model, "SHARDS=3", "MAX_PARALLEL=2", "OUT="+out, "SPLIT=test", "EVAL=1",
		"INDEX_FLAGS=--doc-len 32", "SEARCH_FLAGS=", "EVAL_FLAGS=",
		"SBATCH_FLAGS=--time=10", "INDEX_SBATCH_FLAGS=--cpus-per-task=1 --mem=512M", "MERGE_SBATCH_FLAGS=--cpus-per-task=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.report(t, out)
		t.Fatalf("submit.sh: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("submit.sh:\n%s%s", stdout.String(), stderr.String())
	ids := parseIDs(stdout.String())
	array, merge := ids["ARRAY_JOB_ID"], ids["MERGE_JOB_ID"]
	if array == "" || merge == "" {
		t.Fatalf("submit.sh printed no ARRAY_JOB_ID= and MERGE_JOB_ID= lines:\n%s", stdout.String())
	}

	if err := c.waitFor(t, array, merge); err != nil {
		c.report(t, out, array, merge)
		t.Fatal(err)
	}
	if tasks, err := c.jobs(array); err != nil {
		t.Error(err)
	} else {
		for _, j := range tasks {
			if j["JobState"] != "COMPLETED" || j["ExitCode"] != "0:0" {
				t.Errorf("array task %s: state %s, exit code %s", j["ArrayTaskId"], j["JobState"], j["ExitCode"])
			}
		}
		if len(tasks) != 3 {
			t.Errorf("the index array ran %d tasks, want 3", len(tasks))
		}
	}

	for i := range 3 {
		shard := filepath.Join(out, fmt.Sprintf("shard-%d.idx", i))
		if stat := runOK(t, rrra, "index", "--stat", shard); !strings.Contains(stat, fmt.Sprintf("%d/3", i)) {
			t.Errorf("rrra index --stat %s names no shard %d/3:\n%s", shard, i, stat)
		}
		// SLURM_CPUS_PER_TASK (from --cpus-per-task=1) sets rrra's threads.
		log := filepath.Join(out, "logs", fmt.Sprintf("index-%s_%d.out", array, i))
		if b, err := os.ReadFile(log); err != nil {
			t.Errorf("array task %d's log: %v", i, err)
		} else if !strings.Contains(string(b), "--threads 1 --doc-len 32") {
			t.Errorf("array task %d's log shows no rrra index ... --threads 1 --doc-len 32:\n%s", i, b)
		}
	}
	for _, name := range []string{"index.idx", "run.trec", "eval.json"} {
		same(t, filepath.Join(out, name), filepath.Join(ref, name))
	}
	var scores struct {
		NDCG *float64 `json:"ndcg_cut_10"`
		NumQ int      `json:"num_q"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "eval.json")); err != nil {
		t.Error(err)
	} else if err := json.Unmarshal(b, &scores); err != nil {
		t.Errorf("the merge job's eval.json: %v", err)
	} else if scores.NDCG == nil || *scores.NDCG < 0 || *scores.NDCG > 1 || scores.NumQ != 90 {
		t.Errorf("the merge job's eval.json: want ndcg_cut_10 in [0, 1] over 90 queries, have %s", b)
	}
	if t.Failed() {
		c.report(t, out, array, merge)
	}
}

// slurmPrerequisites skips the test unless RRRA_SLURM=1 or
// RRRA_REQUIRE_SLURM=1, and then unless it runs as root with munged,
// Slurm's daemons and client commands installed; with RRRA_REQUIRE_SLURM=1
// a missing prerequisite fails it instead. It returns the commands' paths
// by name.
func slurmPrerequisites(t *testing.T) map[string]string {
	t.Helper()
	require := os.Getenv("RRRA_REQUIRE_SLURM") == "1"
	if !require && os.Getenv("RRRA_SLURM") != "1" {
		t.Skip("set RRRA_SLURM=1 to start a single-node Slurm cluster")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if require {
			t.Fatalf("RRRA_REQUIRE_SLURM=1, but %s", msg)
		}
		t.Skip(msg)
	}
	if os.Geteuid() != 0 {
		missing("the test runs Slurm's daemons, and its jobs, as root, and this is uid %d", os.Geteuid())
	}
	bins := map[string]string{}
	var absent []string
	for _, name := range []string{"munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "bash"} {
		p, err := lookPath(name)
		if err != nil {
			absent = append(absent, name)
			continue
		}
		bins[name] = p
	}
	if len(absent) > 0 {
		missing("%s not installed (Debian: apt-get install slurm-wlm munge)", strings.Join(absent, ", "))
	}
	return bins
}

// lookPath finds a command on PATH, or in the sbin folders that a
// non-login PATH may lack.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not on PATH nor in an sbin folder", name)
}

// baseDir makes the test's folder, removed at the end. Unlike t.TempDir's,
// it and its parent are searchable by everyone (0755), as munged demands
// of every folder above its socket.
func baseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rrra-slurm-")
	if err != nil {
		t.Fatalf("making the test's folder: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("making %s searchable for munged: %v", dir, err)
	}
	return dir
}

// buildRRRA builds a static rrra (CGO_ENABLED=0, as the README builds it)
// into dir and returns its path.
func buildRRRA(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "rrra")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, "github.com/rrra/rrra/cmd/rrra")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build -o %s ./cmd/rrra: %v\n%s", exe, err, b)
	}
	return exe
}

// runOK runs a command, failing the test if it fails, and returns its
// standard output.
func runOK(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// same reports whether the files at a and b differ.
func same(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Error(err)
		return
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Error(err)
		return
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s (from Slurm) and %s (one process) differ: %d and %d bytes", a, b, len(x), len(y))
	}
}

// parseIDs returns the KEY=VALUE lines of s by key.
func parseIDs(s string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(s) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			m[k] = v
		}
	}
	return m
}

// A daemon is a started background process.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	err  error         // its Wait's, once done is closed
}

// exited returns an error if the daemon has exited.
func (d *daemon) exited() error {
	select {
	case <-d.done:
		return fmt.Errorf("%s exited: %v", d.name, d.err)
	default:
		return nil
	}
}

// stop ends the daemon: SIGTERM, then SIGKILL after 15 seconds.
func (d *daemon) stop() error {
	if d.exited() != nil {
		return nil
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", d.name, err)
	}
	select {
	case <-d.done:
		return nil
	case <-time.After(15 * time.Second):
	}
	if err := d.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", d.name, err)
	}
	<-d.done
	return fmt.Errorf("%s ignored SIGTERM for 15s and was killed", d.name)
}

// A cluster is a running single-node Slurm cluster.
type cluster struct {
	dir     string // every file of the cluster's under it
	conf    string // slurm.conf
	node    string // the node's name: the short host name
	bins    map[string]string
	daemons []*daemon
}

// env returns the environment for Slurm's commands: this process's,
// without the SLURM_, SBATCH_, SALLOC_ and SRUN_ variables of any cluster
// the test itself may run in, with SLURM_CONF naming the test cluster's
// configuration and Slurm's folders on PATH.
func (c *cluster) env() []string {
	var env []string
	path := ""
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "SLURM_"), strings.HasPrefix(k, "SBATCH_"), strings.HasPrefix(k, "SALLOC_"), strings.HasPrefix(k, "SRUN_"):
		case k == "PATH":
			path = v
		default:
			env = append(env, kv)
		}
	}
	dirs := []string{filepath.Dir(c.bins["sbatch"]), filepath.Dir(c.bins["slurmd"])}
	if path != "" {
		dirs = append(dirs, path)
	}
	return append(env, "SLURM_CONF="+c.conf, "PATH="+strings.Join(dirs, string(os.PathListSeparator)))
}

// startCluster writes a munge key and slurm.conf under base/slurm, starts
// munged, slurmctld and slurmd, and waits for the node to be idle. The
// cluster is torn down when the test ends: jobs cancelled, then slurmd,
// slurmctld and munged stopped.
func startCluster(t *testing.T, bins map[string]string, base string) *cluster {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatalf("host name: %v", err)
	}
	host, _, _ = strings.Cut(host, ".")
	c := &cluster{dir: filepath.Join(base, "slurm"), node: host, bins: bins}
	c.conf = filepath.Join(c.dir, "slurm.conf")
	for _, d := range []string{"munge", "state", "spool", "log"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o755); err != nil {
			t.Fatalf("making the cluster's folders: %v", err)
		}
	}

	// munged: a fresh key, readable by its owner (root) only, and its
	// socket, pid, seed and log files in a folder of its own. It refuses a
	// socket folder any of whose ancestors others cannot search, and a key
	// or folder others can write.
	mdir := filepath.Join(c.dir, "munge")
	key := make([]byte, 128) // mungekey's default: 1024 bits
	if _, err := rand.Read(key); err != nil {
		t.Fatalf("munge key: %v", err)
	}
	if err := os.WriteFile(filepath.Join(mdir, "munge.key"), key, 0o600); err != nil {
		t.Fatalf("munge key: %v", err)
	}
	socket := filepath.Join(mdir, "munge.socket")
	c.start(t, "munged", "-F", "--socket="+socket, "--key-file="+filepath.Join(mdir, "munge.key"),
		"--log-file="+filepath.Join(mdir, "munged.log"), "--pid-file="+filepath.Join(mdir, "munged.pid"),
		"--seed-file="+filepath.Join(mdir, "munged.seed"))
	c.poll(t, "munged's socket", 30*time.Second, func() (bool, error) {
		_, err := os.Stat(socket)
		return err == nil, nil
	})

	node, err := nodeConfig(bins["slurmd"])
	if err != nil {
		t.Fatalf("the node's CPUs and memory: %v", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		t.Fatalf("free ports for slurmctld and slurmd: %v", err)
	}
	p := func(name string) string { return filepath.Join(c.dir, name) }
	conf := strings.Join([]string{
		"# A single-node test cluster of deploy/slurm's test; every file under " + c.dir,
		"ClusterName=rrratest",
		// The host name must be this machine's (slurmctld checks); the
		// address spares a name lookup.
		fmt.Sprintf("SlurmctldHost=%s(127.0.0.1)", host),
		fmt.Sprintf("SlurmctldPort=%d", ports[0]),
		fmt.Sprintf("SlurmdPort=%d", ports[1]),
		"SlurmUser=root",
		"SlurmdUser=root",
		"AuthType=auth/munge",
		"CredType=cred/munge",
		"AuthInfo=socket=" + socket,
		"StateSaveLocation=" + p("state"),
		"SlurmdSpoolDir=" + p("spool"),
		"SlurmctldPidFile=" + p("slurmctld.pid"),
		"SlurmdPidFile=" + p("slurmd.pid"),
		"SlurmctldLogFile=" + p("log/slurmctld.log"),
		"SlurmdLogFile=" + p("log/slurmd.log"),
		"SlurmctldDebug=info",
		"SlurmdDebug=info",
		// No cgroups: they are not available in containers and sandboxes.
		"ProctrackType=proctrack/linuxproc",
		"TaskPlugin=task/none",
		"JobAcctGatherType=jobacct_gather/none",
		"AccountingStorageType=accounting_storage/none",
		"JobCompType=jobcomp/none",
		"MpiDefault=none",
		"MailProg=/bin/true",
		"SchedulerType=sched/backfill",
		"SelectType=select/cons_tres",
		"SelectTypeParameters=CR_Core",
		"ReturnToService=2",
		// Keep finished jobs in scontrol show job for the test's checks.
		"MinJobAge=3600",
		"KillWait=5",
		"InactiveLimit=0",
		fmt.Sprintf("NodeName=%s NodeHostname=%s NodeAddr=127.0.0.1 %s State=UNKNOWN", host, host, node),
		fmt.Sprintf("PartitionName=test Nodes=%s Default=YES MaxTime=INFINITE State=UP", host),
		"",
	}, "\n")
	if err := os.WriteFile(c.conf, []byte(conf), 0o644); err != nil {
		t.Fatalf("writing slurm.conf: %v", err)
	}
	t.Logf("slurm.conf:\n%s", conf)

	c.start(t, "slurmctld", "-D", "-i", "-f", c.conf)
	c.start(t, "slurmd", "-D", "-f", c.conf, "-N", host)
	// Cancel any job left before the daemons stop (cleanups run last
	// registered first), so that no job's processes outlive the cluster.
	t.Cleanup(func() { c.cancelAll(t) })

	c.poll(t, "the node to be idle", 2*time.Minute, func() (bool, error) {
		nodes, err := c.scontrol("node", host)
		if err != nil || len(nodes) == 0 {
			return false, nil // slurmctld may not answer yet
		}
		state := nodes[0]["State"]
		if strings.Contains(state, "DRAIN") { // as for a configuration that overstates the node
			return false, fmt.Errorf("node %s is %s: %s", host, state, nodes[0]["Reason"])
		}
		return strings.HasPrefix(state, "IDLE"), nil
	})
	return c
}

// start starts a daemon, logging its standard output and error to
// log/NAME.out, and stops it when the test ends.
func (c *cluster) start(t *testing.T, name string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(c.dir, "log", name+".out"))
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	cmd := exec.Command(c.bins[name], args...)
	cmd.Env = c.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the test binary dies (a -timeout panic), so do the daemons.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s %s: %v", name, strings.Join(args, " "), err)
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		logf.Close()
		close(d.done)
	}()
	c.daemons = append(c.daemons, d)
	t.Logf("started %s %s (pid %d)", name, strings.Join(args, " "), cmd.Process.Pid)
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Error(err)
		}
	})
}

// daemonsUp returns an error if one of the daemons has exited.
func (c *cluster) daemonsUp() error {
	for _, d := range c.daemons {
		if err := d.exited(); err != nil {
			return fmt.Errorf("%w (its log: %s)", err, filepath.Join(c.dir, "log"))
		}
	}
	return nil
}

// poll calls ready every second until it returns true, failing the test
// with the cluster's logs if it returns an error, a daemon exits, or
// timeout passes.
func (c *cluster) poll(t *testing.T, what string, timeout time.Duration, ready func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := ready()
		if err == nil && ok {
			return
		}
		if err == nil {
			err = c.daemonsUp()
		}
		if err == nil && time.Now().After(deadline) {
			err = fmt.Errorf("no sign after %v", timeout)
		}
		if err != nil {
			c.report(t, "")
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(time.Second)
	}
}

// scontrol runs scontrol --oneliner show KIND ID and returns each record's
// Key=Value fields.
func (c *cluster) scontrol(kind, id string) ([]map[string]string, error) {
	out, err := c.command(30*time.Second, "scontrol", "--oneliner", "show", kind, id)
	if err != nil {
		return nil, err
	}
	var recs []map[string]string
	for line := range strings.Lines(out) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		rec := map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				rec[k] = v
			}
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// jobs returns the records of a job, one for each task of an array.
func (c *cluster) jobs(id string) ([]map[string]string, error) {
	recs, err := c.scontrol("job", id)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", id, err)
	}
	return recs, nil
}

// command runs one of Slurm's commands in the cluster's environment and
// returns its standard output.
func (c *cluster) command(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bins[name], args...)
	cmd.Env = c.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// failed is the set of a job's states that end it without success.
var failed = map[string]bool{
	"FAILED": true, "CANCELLED": true, "TIMEOUT": true, "NODE_FAIL": true, "OUT_OF_MEMORY": true,
	"BOOT_FAIL": true, "DEADLINE": true, "PREEMPTED": true, "REVOKED": true, "SPECIAL_EXIT": true,
}

// waitFor polls the array and merge jobs every second, logging their
// states as they change, until the merge job has completed. It returns an
// error if a job fails, a daemon exits, or jobTimeout passes.
func (c *cluster) waitFor(t *testing.T, array, merge string) error {
	t.Helper()
	deadline := time.Now().Add(jobTimeout)
	last, misses := "", 0
	for {
		tasks, err1 := c.jobs(array)
		m, err2 := c.jobs(merge)
		if err := errors.Join(err1, err2); err != nil {
			// slurmctld busy, say; a job gone for good shows as a run of misses.
			if misses++; misses > 30 {
				return fmt.Errorf("30 polls in a row failed: %w", err)
			}
		} else {
			misses = 0
			var states []string
			for _, j := range tasks {
				states = append(states, fmt.Sprintf("task %s %s", j["ArrayTaskId"], j["JobState"]))
				if failed[j["JobState"]] {
					return fmt.Errorf("array job %s's task %s ended %s (exit code %s, reason %s)",
						array, j["ArrayTaskId"], j["JobState"], j["ExitCode"], j["Reason"])
				}
			}
			sort.Strings(states)
			if len(m) != 1 {
				return fmt.Errorf("scontrol show job %s: %d records, want 1", merge, len(m))
			}
			j := m[0]
			summary := fmt.Sprintf("array %s: %s; merge %s: %s (%s)", array, strings.Join(states, ", "), merge, j["JobState"], j["Reason"])
			if summary != last {
				t.Log(summary)
				last = summary
			}
			switch {
			case j["JobState"] == "COMPLETED":
				return nil
			case failed[j["JobState"]]:
				return fmt.Errorf("merge job %s ended %s (exit code %s, reason %s)", merge, j["JobState"], j["ExitCode"], j["Reason"])
			case j["Reason"] == "DependencyNeverSatisfied":
				return fmt.Errorf("merge job %s can never start: the index array %s failed", merge, array)
			}
		}
		if err := c.daemonsUp(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the jobs had not finished after %v: %s", jobTimeout, last)
		}
		time.Sleep(time.Second)
	}
}

// cancelAll cancels every job of the cluster's (they are the test's, and
// run as its user) and waits up to 30 seconds for them to end.
func (c *cluster) cancelAll(t *testing.T) {
	if c.daemonsUp() != nil {
		return
	}
	u, err := user.Current()
	if err != nil {
		t.Errorf("cancelling the jobs left: %v", err)
		return
	}
	if _, err := c.command(30*time.Second, "scancel", "--user="+u.Username); err != nil {
		t.Errorf("cancelling the jobs left: %v", err)
		return
	}
	for range 30 {
		out, err := c.command(30*time.Second, "squeue", "--noheader", "--format=%i %T")
		if err == nil && strings.TrimSpace(out) == "" {
			return
		}
		time.Sleep(time.Second)
	}
	t.Errorf("jobs still queued or running 30s after scancel")
}

// report logs what is needed to see why the cluster or a job failed: the
// jobs' records, the daemons' logs and the jobs' output files under
// out/logs.
func (c *cluster) report(t *testing.T, out string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		s, err := c.command(30*time.Second, "scontrol", "show", "job", id)
		if err != nil {
			t.Logf("scontrol show job %s: %v", id, err)
			continue
		}
		t.Logf("scontrol show job %s:\n%s", id, s)
	}
	if s, err := c.command(30*time.Second, "scontrol", "show", "node", c.node); err == nil {
		t.Logf("scontrol show node %s:\n%s", c.node, s)
	}
	logs, _ := filepath.Glob(filepath.Join(c.dir, "log", "*"))
	logs = append(logs, filepath.Join(c.dir, "munge", "munged.log"))
	if out != "" {
		more, _ := filepath.Glob(filepath.Join(out, "logs", "*"))
		logs = append(logs, more...)
	}
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Logf("%s: %v", f, err)
			continue
		}
		const tail = 16 << 10
		if len(b) > tail {
			b = append([]byte("[…]"), b[len(b)-tail:]...)
		}
		t.Logf("%s:\n%s", f, b)
	}
}

// nodeConfig returns the node's CPUs, topology and memory for its
// NodeName line, as slurmd -C reports them, or, where that fails, the CPU
// count and /proc/meminfo's total.
func nodeConfig(slurmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, slurmd, "-C")
	if b, err := cmd.Output(); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		var keep []string
		for _, f := range strings.Fields(line) {
			if k, _, _ := strings.Cut(f, "="); k != "NodeName" {
				keep = append(keep, f)
			}
		}
		if s := strings.Join(keep, " "); strings.Contains(s, "CPUs=") && strings.Contains(s, "RealMemory=") {
			return s, nil
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "", fmt.Errorf("slurmd -C failed, and: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				return "", fmt.Errorf("/proc/meminfo: MemTotal %q: %w", fields[1], err)
			}
			return fmt.Sprintf("CPUs=%d RealMemory=%d", runtime.NumCPU(), kb/1024), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading /proc/meminfo: %w", err)
	}
	return "", errors.New("slurmd -C failed, and /proc/meminfo has no MemTotal")
}

// freePorts returns n distinct TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		a, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, fmt.Errorf("listener address %v is not TCP", l.Addr())
		}
		ports = append(ports, a.Port)
	}
	return ports, nil
}
