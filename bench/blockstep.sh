#!/usr/bin/env bash
# Times autograd's BenchmarkBlockStep (a two-layer BERT-style encoder step,
# hidden 256, 4 heads, FFN 1024, batch 64 x 128 tokens, forward and backward)
# against the same step in PyTorch (bench/blockstep_torch.py), interleaved
# round by round at 1 and 2 threads, and reports medians, their ratio, and
# the share of rrra's step spent inside SGEMM (from a CPU profile: samples
# under the blocked GEMM driver, packing included).
#
# Needs Debian's python3-torch for the PyTorch column (installs nothing).
# Usage: bash bench/blockstep.sh [rounds]   (default 5; ~1 minute a round)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/autograd.test" ./autograd
py=/usr/bin/python3
have_torch=1
"$py" -c 'import torch' 2>/dev/null || have_torch=0

ours() { # threads -> ms/step of 3 steps
	(cd autograd && "$tmp/autograd.test" -test.run '^$' -test.bench "BlockStep/t$1\$" -test.benchtime 3x) |
		awk '/ms\/step/ { for (i = 1; i <= NF; i++) if ($i == "ms/step") print $(i-1) }'
}
torch() { # threads -> ms/step (median of 3 steps)
	env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$1" OMP_WAIT_POLICY=PASSIVE "$py" bench/blockstep_torch.py --threads "$1" --steps 3 |
		"$py" -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])'
}

for r in $(seq "$rounds"); do
	for th in 1 2; do
		echo "ours $th $(ours "$th")" >>"$tmp/samples"
		if [ "$have_torch" = 1 ]; then echo "torch $th $(torch "$th")" >>"$tmp/samples"; fi
	done
	echo "round $r/$rounds done" >&2
done

# The profile covers the whole benchmark run; the set-up (parameter
# initialisation, the arena's first allocation, garbage collection of it)
# is ignored, so the denominator is the steps' CPU time.
setup='newEncoderParams|runtime\.mallocgc|runtime\.gcBgMarkWorker|runtime\.bgsweep'
split() { # threads -> CPU time under the GEMM driver, and in the steps
	(cd autograd && "$tmp/autograd.test" -test.run '^$' -test.bench "BlockStep/t$1\$" -test.benchtime 3x -test.cpuprofile "$tmp/cpu$1.prof" >/dev/null)
	total=$(go tool pprof -top -nodefraction=0 -nodecount=100000 -ignore "$setup" "$tmp/autograd.test" "$tmp/cpu$1.prof" 2>/dev/null |
		awk '/Showing nodes accounting for/ { sub(",", "", $5); print $5 }')
	gemm=$(go tool pprof -top -nodefraction=0 -nodecount=100000 -focus 'kernels\.\(\*gemmProblem\)\.run' "$tmp/autograd.test" "$tmp/cpu$1.prof" 2>/dev/null |
		awk '/Showing nodes accounting for/ { sub(",", "", $5); print $5 }')
	echo "$gemm $total"
}
s1=$(split 1)
s2=$(split 2)

"$py" - "$tmp/samples" "$s1" "$s2" "$have_torch" <<'PY'
import statistics, sys, re
samples, s1, s2, have_torch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
vals = {}
for line in open(samples):
    who, th, ms = line.split()
    vals.setdefault((who, int(th)), []).append(float(ms))
def secs(s):
    m = re.fullmatch(r"([0-9.]+)(ms|s|us|µs)?", s)
    v = float(m.group(1)); u = m.group(2) or "s"
    return v / 1000 if u == "ms" else v / 1e6 if u in ("us", "µs") else v
def share(s):
    g, t = s.split()
    return 100 * secs(g) / secs(t)
print("| threads | rrra ms/step median [min–max] | PyTorch ms/step median [min–max] | PyTorch / rrra | share of rrra's CPU time in SGEMM |")
print("|---|--:|--:|--:|--:|")
for th, s in ((1, s1), (2, s2)):
    o = vals[("ours", th)]
    row = f"| {th} | {statistics.median(o):.0f} [{min(o):.0f}–{max(o):.0f}] |"
    if have_torch:
        p = vals[("torch", th)]
        row += f" {statistics.median(p):.0f} [{min(p):.0f}–{max(p):.0f}] | {statistics.median(p) / statistics.median(o):.2f} |"
    else:
        row += " n/a (no python3-torch) | n/a |"
    row += f" {share(s):.0f}% |"
    print(row)
print(f"\n{len(vals[('ours', 1)])} interleaved rounds; rrra: 3 steps per sample after warm-up; PyTorch: median of 3 steps after 2 warm-up steps, OMP_WAIT_POLICY=PASSIVE.")
PY
