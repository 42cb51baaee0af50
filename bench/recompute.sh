#!/usr/bin/env bash
# Activation checkpointing (nn.Bert.Recompute, rrra train --recompute)
# against plain training: nn's BenchmarkTrainStep for CONFIGS (default
# bert-base: hidden 768, 12 layers, 12 heads; 32 queries × 32 tokens and 64
# documents × 128, in-batch InfoNCE, AdamW) with and without recomputation,
# at THREADS (default 2), interleaved round by round (which runs first
# alternates), each run its own process so that its peak RSS (VmHWM) is
# its own; STEPS timed steps (default 1) after 2 warm-up ones. Prints a
# markdown table: steps/s (median over rounds), peak RSS (largest), the
# time cost of recomputing (median of per-round ratios, and their range)
# and the memory saved.
#
#	bash bench/recompute.sh [rounds]      (default 5)
#	CONFIGS="minilm bert-base" THREADS="1" bash bench/recompute.sh 3
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
configs=${CONFIGS:-bert-base}
threads=${THREADS:-2}
steps=${STEPS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/nn.test" ./nn
go build -o "$tmp/rrra" ./cmd/rrra
run() { # name threads -> "seconds-per-step rss-MiB"
	(cd nn && "$tmp/nn.test" -test.run '^$' -test.bench "^BenchmarkTrainStep\$/^$1\$/^t$2\$" -test.benchtime "${steps}x") |
		awk '/^Benchmark/ { for (i = 1; i <= NF; i++) { if ($i == "ns/op") s = $(i-1) / 1e9; if ($i == "peak-RSS-MiB") rss = $(i-1) } print s, rss }'
}
for r in $(seq "$rounds"); do
	for c in $configs; do
		for th in $threads; do
			if [ $((r % 2)) = 1 ]; then order="$c $c-recompute"; else order="$c-recompute $c"; fi
			for name in $order; do
				echo "$r $name $th $(run "$name" "$th")" >>"$tmp/samples"
			done
			echo "round $r/$rounds: $c t$th" >&2
		done
	done
done
info=$("$tmp/rrra" info | awk -F': *' '$1 == "cpu" || $1 == "cores" || $1 == "selected" { sub(/ \(force.*/, "", $2); printf "%s%s %s", (n++ ? "; " : ""), $1, $2 }')
/usr/bin/python3 - "$tmp/samples" "$info" "$steps" <<'PY'
import datetime, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r, name, th, s, rss = line.split()
    rows.setdefault((name, int(th)), {})[int(r)] = (float(s), float(rss))
print(f"Machine (rrra info): {sys.argv[2]}. Date {datetime.date.today()}.\n")
print("| configuration | threads | plain steps/s | recompute steps/s | time ratio (range) | plain peak RSS MiB | recompute peak RSS MiB | memory cut |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for (name, th), plain in sorted(rows.items()):
    if name.endswith("-recompute"):
        continue
    rec = rows[(name + "-recompute", th)]
    ps = statistics.median(v[0] for v in plain.values())
    rs = statistics.median(v[0] for v in rec.values())
    ratios = [rec[r][0] / plain[r][0] for r in plain if r in rec]
    pr, rr = max(v[1] for v in plain.values()), max(v[1] for v in rec.values())
    print(f"| {name} | {th} | {1 / ps:.4f} | {1 / rs:.4f} | {statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) | {pr:.0f} | {rr:.0f} | {pr / rr:.2f}× |")
print(f"\n{len(next(iter(rows.values())))} interleaved rounds, {sys.argv[3]} timed step(s) after 2 warm-up ones per run; time ratio = recompute time / plain time per step, median over rounds (range over rounds); peak RSS is the largest over rounds, each run in its own process.")
PY
