#!/usr/bin/env bash
# Checks the peak-memory bound that --max-memory enforces (cmd/rrra/memory.go)
# against the peak resident memory that GNU time reports, for rrra index,
# BM25 search and dense search over a mapped index, on Cranfield's corpus
# repeated 1, 4, 16 and 64 times (1,400 to 89,600 documents; new ids, same
# texts). Writes docs/memory.md, keeping the section that
# bench/memory_depth.sh writes. About 3 minutes on the 2-core reference
# machine. Needs /usr/bin/time (Debian: apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/rrra" ./cmd/rrra
rrra=$work/rrra
"$rrra" demo --quick --quiet --out "$work/demo" >/dev/null
model=$work/demo/model
src=retrieval/datasets/cranfield
# The section that bench/memory_depth.sh writes is kept as it is.
depth=""
if grep -q '^## Inference memory and depth' docs/memory.md 2>/dev/null; then
	depth=$(sed -n '/^## Inference memory and depth/,$p' docs/memory.md)
fi
rows=""
for mult in 1 4 16 64; do
	dir=$work/c$mult
	mkdir -p "$dir/qrels"
	cp "$src/queries.jsonl" "$dir/"
	cp "$src/qrels/test.tsv" "$dir/qrels/"
	gzip -dc "$src/corpus.jsonl.gz" >"$dir/corpus.jsonl" # the originals, which the qrels name
	for r in $(seq 1 $((mult - 1))); do
		gzip -dc "$src/corpus.jsonl.gz" | sed "s/^{\"_id\": *\"\([^\"]*\)\"/{\"_id\":\"\1-$r\"/"
	done >>"$dir/corpus.jsonl"
	n=$(wc -l <"$dir/corpus.jsonl")
	size=$(du -m "$dir/corpus.jsonl" | cut -f1)
	for cmd in index bm25 dense; do
		case $cmd in
		index) args=(index --data "$dir" --model "$model" --out "$dir/c.idx") ;;
		bm25) args=(search --data "$dir" --method bm25 --out "$dir/bm25.trec") ;;
		dense) args=(search --data "$dir" --method dense --model "$model" --index "$dir/c.idx" --out "$dir/dense.trec") ;;
		esac
		/usr/bin/time -f '%M' -o "$work/rss" "$rrra" "${args[@]}" --max-memory 64GiB 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
		est=$(grep -o 'estimated peak [0-9.]* MiB' "$work/log" | tail -1 | grep -o '[0-9.]*')
		rss=$(awk '{printf "%.1f", $1/1024}' "$work/rss")
		rows+="| $cmd | $n | $size | $est | $rss | $(awk -v e="$est" -v r="$rss" 'BEGIN{printf "%.2f", r/e}') |"$'\n'
	done
done
{
	echo "# Memory: the --max-memory bound against measured peaks"
	echo
	echo "\`bash bench/memory.sh\` on $(date -u +%Y-%m-%d). Every command that reads a collection takes"
	echo "\`--max-memory SIZE\`: it adds up an upper bound on its peak resident memory as it learns its"
	echo "sizes and stops with an error that lists every term as soon as the bound passes SIZE, before"
	echo "the allocation it is about to make (it also sets SIZE as the Go runtime's soft memory limit)."
	echo "The terms (T bytes of text, n documents, d dimensions, P parameters, batches of B texts of"
	echo "L tokens, hidden h, feed-forward f, a heads, per layer):"
	echo
	echo "| term | bytes |"
	echo "|---|---|"
	echo "| runtime | 32 MiB |"
	echo "| corpus | 3·T + 256·n |"
	echo "| BM25 (search --method bm25/hybrid, mine --sampler bm25) | 4·T |"
	echo "| encoder | 8·P + 64 MiB·⌈A / 64 MiB⌉, the autograd tape's arena (64 MiB chunks) holding A = 4·B·L·layers·(8h + 2f + a·L) of activations |"
	echo "| vectors | 2·n·d·4 when the corpus is encoded; n·d·4 when an index file is mapped |"
	echo
	echo "Measured: Cranfield's corpus repeated, the quick demo's model (mini: h 64, 2 layers, d 64),"
	echo "documents cut to 128 tokens; RSS is GNU time's maximum resident set size."
	echo
	echo "| command | documents | corpus MB | bound MiB | peak RSS MiB | RSS / bound |"
	echo "|---|--:|--:|--:|--:|--:|"
	printf '%s' "$rows"
	echo
	echo "Training (rrra train, experiment, demo) checks only the corpus terms: the autograd tape's"
	echo "activations are not in the bound. Machine:"
	echo
	echo '```text'
	"$rrra" info
	echo '```'
	if [ -n "$depth" ]; then
		echo
		echo "$depth"
	fi
} >docs/memory.md
cat docs/memory.md
