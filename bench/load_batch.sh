#!/usr/bin/env bash
# Dynamic batching before and after (issue 17, part 5): rrra serve on
# loopback at concurrency 1, 8 and 64, the server built from this tree
# (with its default batcher, plus AFTER_ARGS, and with --batch-queries 1:
# the same tree unbatched) against one built without the batcher
# (BEFORE=path to that binary; build it from a commit before the batcher
# in a git worktree), interleaved before/unbatched/after, REPS rounds, bounded request counts (N1 at concurrency 1,
# N at 8 and 64). MODEL is the model folder (default: a random-weight
# MiniLM-L6-shaped one written by bench/cmd/randmodel), INDEX its index of
# Cranfield (default: rrra index, made once). Prints a Markdown table of
# the medians over the rounds (throughput, p50, p99) and the machine.
#
# Usage: BEFORE=/tmp/rrra-before bash bench/load_batch.sh [N] [N1] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
n1=${2:-500}
reps=${3:-3}
: "${BEFORE:?set BEFORE to an rrra binary without the batcher}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/rrra" ./cmd/rrra
go build -o "$work/load" ./bench/cmd/load
model=${MODEL:-}
if [ -z "$model" ]; then
	go run ./bench/cmd/randmodel --out "$work/minilm"
	model=$work/minilm
fi
idx=${INDEX:-}
if [ -z "$idx" ]; then
	"$work/rrra" index --data cranfield --model "$model" --out "$work/model.idx" 2>/dev/null
	idx=$work/model.idx
fi
common="--model $model --index $idx --quiet --timeout 60s"
for rep in $(seq "$reps"); do
	for c in 1 8 64; do
		reqs=$n
		[ "$c" = 1 ] && reqs=$n1
		"$work/load" --rrra "$BEFORE" --serve-args "$common" -n "$reqs" -c "$c" -k 10 -rerank-every 0 -json >"$work/before.$c.$rep.json"
		"$work/load" --rrra "$work/rrra" --serve-args "$common --batch-queries 1" -n "$reqs" -c "$c" -k 10 -rerank-every 0 -json >"$work/unbatched.$c.$rep.json"
		"$work/load" --rrra "$work/rrra" --serve-args "$common ${AFTER_ARGS:-}" -n "$reqs" -c "$c" -k 10 -rerank-every 0 -json >"$work/after.$c.$rep.json"
	done
done
python3 - "$work" "$reps" <<'PY'
import json, statistics, sys
work, reps = sys.argv[1], int(sys.argv[2])
def med(side, c, key):
    return statistics.median(json.load(open(f"{work}/{side}.{c}.{r}.json"))[key] for r in range(1, reps + 1))
print("| concurrency | requests | req/s before | unbatched | after | after / before | p50 ms before | unbatched | after | p99 ms before | unbatched | after |")
print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
sides = ("before", "unbatched", "after")
for c in (1, 8, 64):
    n = json.load(open(f"{work}/after.{c}.1.json"))["requests"]
    rps = [med(x, c, "requests_per_second") for x in sides]
    p50 = [med(x, c, "p50_ms") for x in sides]
    p99 = [med(x, c, "p99_ms") for x in sides]
    print(f"| {c} | {n} | " + " | ".join(f"{v:.0f}" for v in rps) + f" | {rps[2]/rps[0]:.2f}× | "
          + " | ".join(f"{v:.1f}" for v in p50 + p99) + " |")
print()
print("Every run (req/s, p50 ms, p99 ms):")
print()
for c in (1, 8, 64):
    for side in sides:
        runs = [json.load(open(f"{work}/{side}.{c}.{r}.json")) for r in range(1, reps + 1)]
        print(f"- c{c} {side}: " + "; ".join(f"{x['requests_per_second']:.0f}, {x['p50_ms']:.1f}, {x['p99_ms']:.1f}" for x in runs))
PY
echo
echo '```text'
"$work/rrra" info
echo '```'
