#!/usr/bin/env bash
# Runs every rrra subcommand once, in the order a new user meets them, on
# the embedded Cranfield collection, and writes docs/tour.md: each command
# as typed and its real output (stdout and stderr together; long files are
# shown by their first lines). README.md's tour quotes it. About 7 minutes
# on the 2-core reference machine.
#
# Usage: bash bench/tour.sh [OUT.md]   (default docs/tour.md)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/tour.md}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/bin/rrra" ./cmd/rrra
export PATH="$work/bin:$PATH"
cd "$work"

md=$work/tour.md
# show CMD...: runs CMD in the work folder, writes it and its output as a
# fenced block; a failing command fails the tour.
show() {
	{
		echo '```text'
		echo "\$ $*"
		bash -c "$*" 2>&1
		echo '```'
		echo
	} >>"$md"
}
note() { printf '%s\n\n' "$*" >>"$md"; }

{
	echo "# A tour of rrra's commands"
	echo
	echo "Written by \`bash bench/tour.sh\` on $(date -u +%Y-%m-%d) in a scratch folder (paths are relative to it);"
	echo "every block is a command as typed and its real output. Machine:"
	echo
	echo '```text'
	rrra info
	echo '```'
	echo
} >"$md"

note "## vocab: a WordPiece vocabulary learned from the corpus"
show rrra vocab --data cranfield --size 4096 --out vocab.txt
show "head -c 120 vocab.txt | tr '\n' ' '; echo"

note "## train: a crop warm-up without labels, then fine-tuning with RRRA's resampling"
show rrra train --data cranfield --crops --config mini --vocab vocab.txt --steps 300 --log-every 100 --out warm
show rrra train --data cranfield --model warm --lr 1e-3 --steps 300 --sampler rrra --sampler-params base=uniform \
	--refresh 100 --log-every 100 --checkpoint model.ckpt --out model
show "ls model"

note "## mine: hard negatives as Tevatron training JSONL"
show rrra mine --data cranfield --model model --sampler simans --negatives 4 --out negatives.jsonl
show "head -n 1 negatives.jsonl | cut -c 1-300"

note "## index and search: an exact index, then BM25 and dense runs (the dense one reranked by the adapters)"
show rrra index --data cranfield --model model --out cranfield.idx --npy cranfield.npy
show rrra search --data cranfield --method bm25 --out bm25.trec
show rrra search --data cranfield --method dense --model model --index cranfield.idx --rerank 0.25 --out dense.trec
show "head -n 3 dense.trec"

note "## eval: trec_eval's measures, and a paired comparison"
qrels=$OLDPWD/retrieval/datasets/cranfield/qrels/test.tsv
cp "$qrels" test-qrels.tsv
show rrra eval --qrels test-qrels.tsv --run dense.trec
show rrra eval --qrels test-qrels.tsv --run dense.trec --compare bm25.trec --measures ndcg_cut_10,recall_100

note "## audit: the labelled negatives most likely to be false negatives"
show rrra audit --data cranfield --model model --out suspects.jsonl --tsv suspects.tsv --html suspects.html --top 3
show "head -n 3 suspects.tsv | cut -c 1-160"

note "## encode: any JSONL to a .npy, for numpy or FAISS"
printf '%s\n' '{"title": "flat plate", "text": "boundary layer transition on a flat plate"}' \
	'{"text": "heat transfer in hypersonic flow"}' >texts.jsonl
show rrra encode --model model --input texts.jsonl --pooling mean --normalize --out texts.npy
show "/usr/bin/python3 -c \"import numpy as np; a = np.load('texts.npy'); print(a.shape, a.dtype, np.linalg.norm(a, axis=1))\" 2>&1 || echo '(numpy not installed)'"

note "## serve: the JSON API (and the search page at /)"
port=$((20000 + RANDOM % 20000))
rrra serve --model model --index cranfield.idx --addr 127.0.0.1:$port >serve.log 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
show "curl -s 'http://127.0.0.1:$port/healthz'; echo"
show "curl -s 'http://127.0.0.1:$port/search?q=boundary+layer+transition&k=2&rerank=1' | cut -c 1-700; echo"
show "curl -s 'http://127.0.0.1:$port/metrics' | grep -v '^#' | head -n 8"
kill -INT "$server"
wait "$server" || true
{
	echo '```text'
	echo "\$ rrra serve --model model --index cranfield.idx --addr 127.0.0.1:$port   # then SIGINT"
	cat serve.log
	echo '```'
	echo
} >>"$md"

note "## experiment: samplers and RRRA under one budget (a small one here; see README for the full tables)"
show rrra experiment --data cranfield --methods bm25,topk-uniform,rrra --seeds 1 --warm-steps 200 --steps 200 --out exp

cd "$OLDPWD"
mkdir -p "$(dirname "$out")"
cp "$md" "$out"
echo "wrote $out" >&2
