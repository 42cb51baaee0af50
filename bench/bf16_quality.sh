#!/usr/bin/env bash
# What bfloat16 training costs in quality (docs/precision.md): on Cranfield
# and SciFact, three seeds, trains the same model twice, once with
# float32 products and once with --precision bf16, under rrra
# experiment's budget: a mini model from scratch (vocabulary of 4,000
# WordPieces learned from the corpus) warmed up for 300 steps on crop
# pairs (batch 32, lr 2e-3), then fine-tuned for 600 steps with
# topk-uniform negatives (batch 16, 3 negatives, lr 1e-3, dense pools
# re-mined every 100 steps), the dev figures every 50 steps on the 10% of
# training queries train carves off. Both stages run at the precision
# under test. Each final model then ranks the test queries (float32
# inference) and bench/cmd/bf16quality prints the table (final dev and
# test nDCG@10, mean ± std over seeds) and draws the loss curves of both
# precisions together (bf16-warm-<collection>.png for the warm-up,
# bf16-loss-<collection>.png for the fine-tuning, in the work folder).
#
#	bash bench/bf16_quality.sh [workdir]     (default: a temporary folder)
#
# Two runs at a time, one thread each. About 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
go build -o "$work/rrra" ./cmd/rrra
go build -o "$work/bf16quality" ./bench/cmd/bf16quality
one() { # data precision seed
	local d="$work/$1/$2-s$3"
	[ -f "$d/test.json" ] && return 0
	mkdir -p "$d"
	"$work/rrra" train --data "$1" --crops --config mini --vocab-size 4000 --steps 300 --batch 32 --lr 2e-3 \
		--log-every 10 --seed "$3" --precision "$2" --threads 1 --quiet --history "$d/warm.json" --out "$d/warm"
	"$work/rrra" train --data "$1" --model "$d/warm" --sampler topk-uniform --negatives 3 --batch 16 --lr 1e-3 \
		--refresh 100 --steps 600 --eval-every 50 --log-every 10 --doc-len 128 --query-len 32 \
		--seed "$3" --precision "$2" --threads 1 --quiet --history "$d/history.json" --out "$d/model"
	"$work/rrra" search --data "$1" --split test --method dense --model "$d/model" --threads 1 --out "$d/test.trec" 2>/dev/null
	"$work/rrra" eval --data "$1" --split test --run "$d/test.trec" --measures ndcg_cut_10,recall_100 --json >"$d/test.json.tmp"
	mv "$d/test.json.tmp" "$d/test.json"
}
jobs=()
for data in cranfield scifact; do
	for seed in 1 2 3; do
		for prec in fp32 bf16; do
			# Runs already done (their test.json written) are kept.
			[ -f "$work/$data/$prec-s$seed/test.json" ] || jobs+=("$data $prec $seed")
		done
	done
done
# Two at a time.
for ((i = 0; i < ${#jobs[@]}; i += 2)); do
	one ${jobs[i]} &
	a=$!
	b=
	if ((i + 1 < ${#jobs[@]})); then
		one ${jobs[i + 1]} &
		b=$!
	fi
	wait $a
	[ -z "$b" ] || wait $b
	echo "done: ${jobs[i]}${b:+; ${jobs[i + 1]}}" >&2
done
"$work/rrra" info | sed 's/^/    /'
echo
"$work/bf16quality" --dir "$work" cranfield scifact
