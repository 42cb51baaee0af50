// Command peers times rrra's SGEMM against its peers — numpy's BLAS
// (OpenBLAS where Debian's python3-numpy and libopenblas0 are installed) and
// gonum — on the same shapes and thread counts in one run, and prints one
// markdown table per thread count with medians over interleaved rounds and
// ratios of medians. It installs nothing; see bench/README.md.
//
// Usage:
//
//	go run ./bench/cmd/peers [-threads 1,2] [-rounds 5] [-shapes default|quick|TT:MxNxK,...]
//	    [-min-time 0.2s] [-python /usr/bin/python3] [-out file.md]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/rrra/rrra/bench"
	"github.com/rrra/rrra/kernels"
)

// The peers, in the order of the first round; later rounds rotate it.
const (
	peerOurs    = "ours"
	peerGeneric = "generic"
	peerNumpy   = "numpy"
	peerGonum   = "gonum"
)

var allPeers = []string{peerOurs, peerGeneric, peerNumpy, peerGonum}

type options struct {
	threads    []int
	rounds     int
	shapes     []bench.Shape
	minTime    time.Duration
	settle     time.Duration
	python     string
	out        string
	tier       string
	peers      map[string]bool
	maxCall    time.Duration
	slowRounds int
}

func main() {
	opt, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(2)
	}
	doc := run(opt)
	fmt.Print(doc)
	if opt.out != "" {
		if err := os.WriteFile(opt.out, []byte(doc), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "peers:", err)
			os.Exit(1)
		}
		logf("wrote %s", opt.out)
	}
}

func parseFlags() (options, error) {
	var opt options
	threads := flag.String("threads", "1,2", "comma-separated thread counts, one table each")
	flag.IntVar(&opt.rounds, "rounds", 5, "interleaved rounds; each cell is the median over rounds")
	shapes := flag.String("shapes", "default", "default, quick, or a comma-separated list of TT:MxNxK / TT:BxMxNxK")
	flag.DurationVar(&opt.minTime, "min-time", 200*time.Millisecond, "least time per sample (one peer, one shape, one round)")
	flag.DurationVar(&opt.settle, "settle", 250*time.Millisecond, "pause before each sample, so that the previous peer's threads have gone idle (OpenBLAS's spin after a call for about 0.1 s)")
	flag.StringVar(&opt.python, "python", bench.DefaultPython, "interpreter with numpy (Debian's python3-numpy)")
	flag.StringVar(&opt.out, "out", "", "also write the markdown report to this file")
	flag.StringVar(&opt.tier, "tier", "", "kernels tier for the \"ours\" column (default: kernels.Selected())")
	peers := flag.String("peers", strings.Join(allPeers, ","), "peers to time, from "+strings.Join(allPeers, ","))
	flag.DurationVar(&opt.maxCall, "max-call", time.Second, "a peer whose median call on a shape exceeds this is timed in only -slow-rounds rounds there (0: always all rounds)")
	flag.IntVar(&opt.slowRounds, "slow-rounds", 3, "rounds for slow peers, see -max-call")
	flag.Parse()
	if flag.NArg() > 0 {
		return opt, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	for _, f := range strings.Split(*threads, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || t < 1 {
			return opt, fmt.Errorf("-threads: bad count %q", f)
		}
		opt.threads = append(opt.threads, t)
	}
	if opt.rounds < 1 || opt.slowRounds < 1 {
		return opt, fmt.Errorf("-rounds and -slow-rounds must be at least 1")
	}
	var err error
	if opt.shapes, err = bench.ShapeSet(*shapes); err != nil {
		return opt, fmt.Errorf("-shapes: %w", err)
	}
	opt.peers = map[string]bool{}
	for _, p := range strings.Split(*peers, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allPeers, p) {
			return opt, fmt.Errorf("-peers: unknown peer %q", p)
		}
		opt.peers[p] = true
	}
	if opt.tier == "" {
		opt.tier = kernels.Selected()
	}
	if ok, reason := kernels.Supported(opt.tier); !ok {
		return opt, fmt.Errorf("-tier %s: %s", opt.tier, reason)
	}
	return opt, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "peers: "+format+"\n", args...)
}

// problem holds one shape's operands, shared by the Go peers, and a C per
// peer so that results can be compared.
type problem struct {
	sh                       bench.Shape
	a, b                     []float32
	lda, ldb, ldc            int
	strideA, strideB, stride int
	c                        map[string][]float32
}

func newProblem(sh bench.Shape, r *rand.Rand) *problem {
	p := &problem{sh: sh, lda: sh.K, ldb: sh.N, ldc: sh.N,
		strideA: sh.M * sh.K, strideB: sh.K * sh.N, stride: sh.M * sh.N,
		c: map[string][]float32{}}
	if sh.TransA() {
		p.lda = sh.M
	}
	if sh.TransB() {
		p.ldb = sh.K
	}
	bt := sh.Products()
	p.a = make([]float32, bt*p.strideA)
	p.b = make([]float32, bt*p.strideB)
	for i := range p.a {
		p.a[i] = 2*r.Float32() - 1
	}
	for i := range p.b {
		p.b[i] = 2*r.Float32() - 1
	}
	for _, peer := range []string{peerOurs, peerGeneric, peerGonum} {
		c := make([]float32, bt*p.stride)
		for i := range c {
			c[i] = 1 // fault the pages in now, not in the first timed call
		}
		p.c[peer] = c
	}
	return p
}

// rrra runs one call of ours on c with the current tier.
func (p *problem) rrra(c []float32) {
	sh := p.sh
	if sh.Products() > 1 {
		kernels.SgemmBatched(sh.TransA(), sh.TransB(), sh.Batch, sh.M, sh.N, sh.K, 1,
			p.a, p.lda, p.strideA, p.b, p.ldb, p.strideB, 0, c, p.ldc, p.stride)
		return
	}
	kernels.Sgemm(sh.TransA(), sh.TransB(), sh.M, sh.N, sh.K, 1, p.a, p.lda, p.b, p.ldb, 0, c, p.ldc)
}

// gonum runs one call of gonum's Sgemm; a batch is split into threads
// contiguous chunks, one goroutine each, as SgemmBatched does (gonum may
// parallelise each product further on its own).
func (p *problem) gonum(threads int) {
	sh := p.sh
	ta, tb := blas.NoTrans, blas.NoTrans
	if sh.TransA() {
		ta = blas.Trans
	}
	if sh.TransB() {
		tb = blas.Trans
	}
	c := p.c[peerGonum]
	one := func(s int) {
		gonum.Implementation{}.Sgemm(ta, tb, sh.M, sh.N, sh.K, 1,
			p.a[s*p.strideA:], p.lda, p.b[s*p.strideB:], p.ldb, 0, c[s*p.stride:], p.ldc)
	}
	bt := sh.Products()
	if threads <= 1 || bt == 1 {
		for s := range bt {
			one(s)
		}
		return
	}
	nt := min(threads, bt)
	var wg sync.WaitGroup
	for w := range nt {
		lo, hi := w*bt/nt, (w+1)*bt/nt
		wg.Go(func() {
			for s := lo; s < hi; s++ {
				one(s)
			}
		})
	}
	wg.Wait()
}

// cell collects one peer's samples on one shape.
type cell struct {
	gflops  []float64
	seconds []float64 // per call
	rounds  []int     // the round of each sample
}

func (c *cell) add(round int, flops, sec float64) {
	c.seconds = append(c.seconds, sec)
	c.gflops = append(c.gflops, flops/sec/1e9)
	c.rounds = append(c.rounds, round)
}

// perRound returns a's rate ÷ b's in each round both were sampled.
func perRound(a, b *cell) []float64 {
	var out []float64
	for i, ra := range a.rounds {
		for j, rb := range b.rounds {
			if ra == rb {
				out = append(out, a.gflops[i]/b.gflops[j])
			}
		}
	}
	return out
}

// slow reports whether the peer has had its -slow-rounds on this shape and
// its median call is over -max-call.
func (c *cell) slow(opt options) bool {
	return opt.maxCall > 0 && len(c.seconds) >= opt.slowRounds &&
		bench.Summarize(c.seconds).Median > opt.maxCall.Seconds()
}

// result is one thread count's table plus notes printed under it.
type result struct {
	table bench.Table
	notes []string
}

func run(opt options) string {
	start := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	problems := make([]*problem, len(opt.shapes))
	for i, sh := range opt.shapes {
		problems[i] = newProblem(sh, r)
	}
	var hello *bench.NumpyHello
	var numpyNote string
	var results []result
	for _, t := range opt.threads {
		res, h, note := runThreads(opt, t, problems)
		if hello == nil && h != nil {
			hello = h
		}
		if numpyNote == "" {
			numpyNote = note
		}
		results = append(results, res)
	}
	logf("done in %s", time.Since(start).Round(time.Second))

	var b strings.Builder
	header(&b, opt, hello, numpyNote, results)
	for _, res := range results {
		b.WriteString("\n")
		b.WriteString(res.table.Markdown())
		for _, n := range res.notes {
			b.WriteString("\n" + n + "\n")
		}
	}
	return b.String()
}

// runThreads runs all rounds for one thread count.
func runThreads(opt options, t int, problems []*problem) (result, *bench.NumpyHello, string) {
	prevThreads := kernels.SetThreads(t)
	prevProcs := runtime.GOMAXPROCS(t)
	defer func() {
		kernels.SetThreads(prevThreads)
		runtime.GOMAXPROCS(prevProcs)
	}()
	res := result{table: bench.Table{Threads: t, Tier: opt.tier, Rounds: opt.rounds}}

	var np *bench.NumpyServer
	var hello *bench.NumpyHello
	var note string
	if opt.peers[peerNumpy] {
		var err error
		np, err = bench.StartNumpy(opt.python, t, os.Environ())
		if err != nil {
			note = fmt.Sprintf("numpy peer not run (%v); the OpenBLAS column reads n/a. "+
				"Install Debian's numpy with `apt-get install python3-numpy libopenblas0-pthread`; the harness installs nothing.", err)
			logf("%s", note)
		} else {
			hello = &np.Hello
			defer np.Close()
			res.table.BLAS = blasName(np.Hello)
			res.notes = append(res.notes, numpyThreadsNote(np.Hello, t))
			logf("t=%d numpy server: %s", t, np.Hello.Describe())
		}
	}

	cells := make([]map[string]*cell, len(problems))
	for i := range cells {
		cells[i] = map[string]*cell{}
		for _, p := range allPeers {
			cells[i][p] = &cell{}
		}
	}
	checked := make([]bool, len(problems))
	for round := range opt.rounds {
		roundStart := time.Now()
		order := slices.Concat(allPeers[round%len(allPeers):], allPeers[:round%len(allPeers)])
		for i, p := range problems {
			var line []string
			for _, peer := range order {
				if !opt.peers[peer] || cells[i][peer].slow(opt) {
					continue
				}
				if peer == peerGeneric && opt.tier == "generic" {
					continue // the ours column is the generic tier already
				}
				c := cells[i][peer]
				// OpenBLAS's threads spin for about 2^28 cycles after a
				// call: without a pause they take the cores from the
				// next peer's sample (measured: rrra at 16 threads on 16
				// cores ran 3.7–4.5× slower right after numpy than alone;
				// docs/scaling.md).
				time.Sleep(opt.settle)
				switch peer {
				case peerOurs, peerGeneric:
					tier := opt.tier
					if peer == peerGeneric {
						tier = "generic"
					}
					restore, _ := kernels.Use(tier)
					sec, _ := bench.Time(func() { p.rrra(p.c[peer]) }, opt.minTime)
					restore()
					c.add(round, p.sh.Flops(), sec)
				case peerGonum:
					sec, _ := bench.Time(func() { p.gonum(t) }, opt.minTime)
					c.add(round, p.sh.Flops(), sec)
				case peerNumpy:
					if np == nil {
						continue
					}
					sec, err := np.Time(p.sh, opt.minTime)
					if err != nil {
						note := fmt.Sprintf("numpy peer stopped at t=%d, round %d, %s: %v", t, round+1, p.sh.Label(), err)
						logf("%s", note)
						res.notes = append(res.notes, note)
						np.Close()
						np = nil
						continue
					}
					c.add(round, p.sh.Flops(), sec)
				}
				line = append(line, fmt.Sprintf("%s %s", peer, bench.FormatGFLOPS(c.gflops[len(c.gflops)-1])))
			}
			if !checked[i] {
				checked[i] = true
				if msg := check(p, opt); msg != "" {
					logf("%s", msg)
					res.notes = append(res.notes, "**"+msg+"**")
				}
			}
			logf("t=%d round %d/%d %-36s %s GFLOP/s", t, round+1, opt.rounds, p.sh.Label(), strings.Join(line, ", "))
		}
		logf("t=%d round %d/%d took %s", t, round+1, opt.rounds, time.Since(roundStart).Round(100*time.Millisecond))
	}

	for i, p := range problems {
		row := bench.Row{Shape: p.sh,
			Ours:    bench.Summarize(cells[i][peerOurs].gflops),
			Generic: bench.Summarize(cells[i][peerGeneric].gflops),
			BLAS:    bench.Summarize(cells[i][peerNumpy].gflops),
			Gonum:   bench.Summarize(cells[i][peerGonum].gflops),

			OursBLAS: bench.Summarize(perRound(cells[i][peerOurs], cells[i][peerNumpy])),
		}
		if opt.tier == "generic" {
			row.Generic = row.Ours
		}
		res.table.Rows = append(res.table.Rows, row)
	}
	return res, hello, note
}

// check compares the C of each Go peer that ran with another one's; it
// returns a message when they disagree beyond float32 rounding.
func check(p *problem, opt options) string {
	var ran []string
	for _, peer := range []string{peerOurs, peerGeneric, peerGonum} {
		if opt.peers[peer] && !(peer == peerGeneric && opt.tier == "generic") {
			ran = append(ran, peer)
		}
	}
	for _, peer := range ran[min(1, len(ran)):] {
		diff, scale := bench.MaxDiff(p.c[ran[0]], p.c[peer])
		if !(diff <= 1e-4*scale) { // NaN fails too
			return fmt.Sprintf("MISMATCH on %s: %s and %s differ by %.3g (max |C| %.3g)",
				p.sh.Label(), ran[0], peer, diff, scale)
		}
	}
	return ""
}

// blasName is the column name for numpy's BLAS.
func blasName(h bench.NumpyHello) string {
	switch h.BLAS {
	case "OpenBLAS":
		return "OpenBLAS"
	case "unknown", "":
		return "numpy BLAS"
	}
	return h.BLAS
}

func numpyThreadsNote(h bench.NumpyHello, t int) string {
	s := fmt.Sprintf("%s column: numpy %s np.matmul on %s, OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=%d",
		blasName(h), h.Numpy, h.BLAS, t)
	if h.OpenBLASThreads != nil {
		s += fmt.Sprintf(", openblas_get_num_threads()=%d", *h.OpenBLASThreads)
	} else if !h.IsOpenBLAS() {
		s += " (ignored by this BLAS unless it threads itself)"
	}
	return s + "."
}

func header(b *strings.Builder, opt options, hello *bench.NumpyHello, numpyNote string, results []result) {
	cpu := kernels.CPU()
	fmt.Fprintf(b, "# rrra SGEMM against its peers\n\n")
	fmt.Fprintf(b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(b, "- CPU: %s (%s, family %d, model %d), %d logical / %d physical cores; L1d %s, L2 %s, L3 %s\n",
		cpu.Brand, cpu.Vendor, cpu.Family, cpu.Model, cpu.LogicalCores, cpu.PhysicalCores,
		bytesString(cpu.L1D), bytesString(cpu.L2), bytesString(cpu.L3))
	fmt.Fprintf(b, "- CPU features: %s\n", strings.Join(cpu.Features, " "))
	fmt.Fprintf(b, "- Go: %s %s/%s; gonum %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, moduleVersion("gonum.org/v1/gonum"))
	var tiers []string
	for _, name := range kernels.Tiers() {
		if ok, _ := kernels.Supported(name); ok {
			tiers = append(tiers, name)
		} else {
			tiers = append(tiers, name+" (unsupported)")
		}
	}
	fmt.Fprintf(b, "- kernels tiers: %s; selected %s; \"ours\" column: %s\n", strings.Join(tiers, ", "), kernels.Selected(), opt.tier)
	if hello != nil {
		fmt.Fprintf(b, "- numpy: %s\n", hello.Describe())
	} else if opt.peers[peerNumpy] {
		fmt.Fprintf(b, "- numpy: not available — %s\n", numpyNote)
	} else {
		fmt.Fprintf(b, "- numpy: not run (-peers)\n")
	}
	var ts []string
	for _, t := range opt.threads {
		ts = append(ts, strconv.Itoa(t))
	}
	fmt.Fprintf(b, "- rounds: %d, interleaved (per round, per shape, each peer back to back, peer order rotated each round); threads: %s (kernels.SetThreads and GOMAXPROCS, OPENBLAS_NUM_THREADS); nothing pinned\n",
		opt.rounds, strings.Join(ts, ", "))
	fmt.Fprintf(b, "- each sample: a pause of %s (the previous peer's threads go idle), one warm-up call, then calls until at least %s has elapsed (a first call that takes %s or more is itself the sample); a peer whose median call on a shape exceeds %s is timed in %d rounds only\n",
		opt.settle, opt.minTime, opt.minTime, opt.maxCall, opt.slowRounds)
	fmt.Fprintf(b, "- command: `%s`\n", commandLine())
	fmt.Fprintf(b, "\nGFLOP/s = 2·m·n·k·batch / seconds per call; cells are median [min–max] over rounds; ratios are ratios of medians, and ours/BLAS also gives the least and greatest ratio within one round (a lead holds in every round when its least is above 1).\n")
	if hello != nil && !hello.IsOpenBLAS() {
		fmt.Fprintf(b, "\n**numpy here calls %s (%s), not OpenBLAS**, so that column measures %s. "+
			"To compare against OpenBLAS install Debian's `libopenblas0-pthread` (it takes over the libblas.so.3 alternative) and run again.\n",
			hello.BLAS, hello.BLASPath, hello.BLAS)
	}
}

func commandLine() string {
	args := append([]string{"go run ./bench/cmd/peers"}, os.Args[1:]...)
	return strings.Join(args, " ")
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "(version unknown)"
}

func bytesString(n int) string {
	switch {
	case n < 0:
		return "?"
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
