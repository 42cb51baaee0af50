#!/usr/bin/env bash
# Times retrieval/index's BenchmarkSearch (exact inner-product search of nq
# random unit queries over 100,000 random unit vectors of dimension d, top
# k) against FAISS's IndexFlatIP on the same sizes (bench/search_faiss.py),
# interleaved round by round at 1 and 2 threads, together with
# BenchmarkStream (a 400 MB float32 array summed with kernels.Dot), the
# memory bandwidth that bounds one query, which must stream the whole
# document matrix. Prints a markdown table of medians over the rounds.
#
# Needs Debian's python3-faiss and python3-numpy for the FAISS column
# (installs nothing). FAISS runs with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS
# and faiss.omp_set_num_threads set to the thread count and
# OMP_WAIT_POLICY=PASSIVE, as bench/blockstep.sh runs PyTorch.
#
# Usage: bash bench/search.sh [rounds]   (default 5; about 30 s a round)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/index.test" ./retrieval/index
py=/usr/bin/python3
have_faiss=1
"$py" -c 'import faiss, numpy' 2>/dev/null || have_faiss=0

# gobench pattern benchtime: one line per benchmark, "name q/s GB/s" (- if
# not reported).
gobench() {
	(cd retrieval/index && "$tmp/index.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2") |
		awk '/^Benchmark/ {
			qps = "-"; gbs = "-"
			for (i = 2; i <= NF; i++) {
				if ($i == "q/s") qps = $(i-1)
				if ($i == "GB/s") gbs = $(i-1)
			}
			sub(/-[0-9]+$/, "", $1)
			print $1, qps, gbs
		}'
}
ours() { # threads
	gobench "^BenchmarkSearch\$/./././^t$1\$" 0.5s | awk '{ print "ours", $0 }'
}
stream() { # threads
	gobench "^BenchmarkStream\$/^t$1\$" 10x | awk '{ print "stream", $0 }'
}
faiss() { # threads
	env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$1" OPENBLAS_NUM_THREADS="$1" OMP_WAIT_POLICY=PASSIVE \
		"$py" bench/search_faiss.py --threads "$1" --repeats 3 |
		awk '{ split($2, d, "="); split($3, q, "="); split($4, k, "="); split($5, t, "="); split($6, v, "=")
			printf "faiss BenchmarkSearch/d%s/nq%s/k%s/t%s %s -\n", d[2], q[2], k[2], t[2], v[2] }'
}

for r in $(seq "$rounds"); do
	for th in 1 2; do
		# Alternate which peer goes first from round to round.
		if [ $((r % 2)) = 1 ] || [ "$have_faiss" = 0 ]; then
			ours "$th" >>"$tmp/samples"
			stream "$th" >>"$tmp/samples"
			if [ "$have_faiss" = 1 ]; then faiss "$th" >>"$tmp/samples"; fi
		else
			faiss "$th" >>"$tmp/samples"
			stream "$th" >>"$tmp/samples"
			ours "$th" >>"$tmp/samples"
		fi
	done
	echo "round $r/$rounds done" >&2
done

"$py" - "$tmp/samples" "$have_faiss" <<'PY'
import re, statistics, sys
samples, have_faiss = sys.argv[1], sys.argv[2] == "1"
N = 100000
qps, gbs = {}, {}
for line in open(samples):
    who, name, q, g = line.split()
    if q != "-":
        qps.setdefault((who, name), []).append(float(q))
    if g != "-":
        gbs.setdefault((who, name), []).append(float(g))
def med(v): return statistics.median(v)
def span(v): return f"{med(v):,.0f} [{min(v):,.0f}–{max(v):,.0f}]"
bw = {t: gbs[("stream", f"BenchmarkStream/t{t}")] for t in (1, 2)}
print("| config | rrra q/s median [min–max] | FAISS q/s median [min–max] | rrra / FAISS "
      "| rrra GB/s | % of bandwidth bound (rrra) | % of bandwidth bound (FAISS) |")
print("|---|--:|--:|--:|--:|--:|--:|")
names = sorted({n for (w, n) in qps if w == "ours"},
               key=lambda n: tuple(int(x) for x in re.findall(r"\d+", n)))
for name in names:
    d, nq, k, t = (int(x) for x in re.fullmatch(r"BenchmarkSearch/d(\d+)/nq(\d+)/k(\d+)/t(\d+)", name).groups())
    o = qps[("ours", name)]
    row = f"| d{d}/nq{nq}/k{k}/t{t} | {span(o)} |"
    f = qps.get(("faiss", name))
    row += f" {span(f)} | {med(o) / med(f):.2f} |" if f else " n/a | n/a |"
    if nq == 1:
        bytes_per_query = 4 * N * d
        b = med(bw[t])
        row += f" {med(gbs[('ours', name)]):.1f} | {100 * med(o) * bytes_per_query / 1e9 / b:.0f}% |"
        row += f" {100 * med(f) * bytes_per_query / 1e9 / b:.0f}% |" if f else " n/a |"
    else:
        row += " | | |"
    print(row)
rounds = len(bw[1])
print(f"\n{rounds} interleaved rounds; each cell the median over rounds. rrra: one Go benchmark sample "
      f"(-benchtime 0.5s) per round; FAISS{'' if have_faiss else ' (not installed)'}: the median of 3 samples "
      "of at least 0.1 s per round, OMP_WAIT_POLICY=PASSIVE.")
print("Bandwidth bound: BenchmarkStream (400 MB float32 array summed with kernels.Dot, same run), "
      + ", ".join(f"{t} thread{'s' if t > 1 else ''} {span(bw[t])} GB/s" for t in (1, 2))
      + f"; a one-query search must stream the 4·N·d bytes of the matrix. At d=128 that matrix (51 MB) "
      "partly fits the 32 MB L3, so a search can exceed the bound there.")
PY
