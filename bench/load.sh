#!/usr/bin/env bash
# The server load test that issue 8 asks for: rrra serve on loopback with
# the demo's model, 10,000 GET /search requests at concurrency 64 (every
# other one reranked by the adapters, k 10), zero errors required; writes
# docs/load.md with latency quantiles, throughput and the server's peak
# resident memory, the machine and the date. MODEL=DIR serves that model
# instead of training the demo's first (rrra demo, about 2.5 minutes).
#
# Usage: bash bench/load.sh [N] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
c=${2:-64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/rrra" ./cmd/rrra
go build -o "$work/load" ./bench/cmd/load
model=${MODEL:-}
if [ -z "$model" ]; then
	"$work/rrra" demo --quiet --out "$work/demo" >/dev/null
	model=$work/demo/model
fi
# The dynamic-batching section that bench/load_batch.sh's table went into
# is kept as it is.
batching=$(sed -n '/^## Dynamic batching/,$p' docs/load.md 2>/dev/null || true)
for every in 0 2 1; do
	"$work/load" --rrra "$work/rrra" --serve-args "--model $model --quiet" -n "$n" -c "$c" -k 10 -rerank-every "$every" >"$work/table.$every"
done
{
	echo "# Load test: rrra serve on loopback"
	echo
	echo "\`bash bench/load.sh $n $c\` on $(date -u +%Y-%m-%d): rrra serve with the model \`rrra demo\` trains"
	echo "(mini BERT, Cranfield's 1,400 documents, exact search, reranking depth 100), $n GET /search"
	echo "requests per row at concurrency $c from \`bench/cmd/load\` (Cranfield's 225 queries in turn, k 10;"
	echo "none, every other, or every request reranked). Every answer is checked (status 200, JSON, 10"
	echo "hits, the mode asked); the run fails on any error. Latency is per request, client side, from"
	echo "sending to the last byte; the server batches concurrent queries dynamically (defaults"
	echo "--batch-queries 32, --batch-wait 2ms; bench/load_batch.sh compares it with the unbatched server)."
	echo "Peak memory is the server's VmHWM (peak resident set) after the run."
	echo
	head -2 "$work/table.0"
	for every in 0 2 1; do tail -1 "$work/table.$every"; done
	echo
	echo "Machine:"
	echo
	echo '```text'
	"$work/rrra" info
	echo '```'
	if [ -n "$batching" ]; then
		echo
		echo "$batching"
	fi
} >docs/load.md
cat docs/load.md
