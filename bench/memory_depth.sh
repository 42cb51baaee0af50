#!/usr/bin/env bash
# Peak resident memory of encoding against the encoder's depth: a 6-layer
# and a 12-layer BERT of the same width (hidden 384, 12 heads, FFN 1536,
# vocabulary 30522: the MiniLM-L6 and bge-small shapes, random weights)
# encode SciFact's first 256 documents in batches of 64 × 128 tokens through
# retrieval.Encoder (bench/cmd/memdepth), under GNU time, REPS times each
# (median). With BEFORE=<git revision> it also measures that revision's
# tree (bench/cmd/memdepth copied into it) in the same run. Writes the section "Inference memory and
# depth" of docs/memory.md (bench/memory.sh keeps it), with the largest
# difference between the trees' vectors (a change of numerics, such as
# packing sequences, moves them by float32 rounding; a bug by far more).
# About 3 minutes per tree on the 2-core reference machine. Needs
# /usr/bin/time (Debian: apt-get install time).
#
#	BEFORE=985035e bash bench/memory_depth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-3}
layers=${LAYERS:-6 12}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/rrra" ./cmd/rrra
go build -o "$work/after" ./bench/cmd/memdepth
trees=after
if [ -n "${BEFORE:-}" ]; then
	mkdir "$work/src"
	git archive "$BEFORE" | tar -x -C "$work/src"
	mkdir -p "$work/src/bench/cmd/memdepth"
	cp bench/cmd/memdepth/main.go "$work/src/bench/cmd/memdepth/"
	(cd "$work/src" && go build -o "$work/before" ./bench/cmd/memdepth)
	trees="before after"
fi
rows=""
declare -A beyond sums
for tree in $trees; do
	for l in $layers; do
		rss=()
		models=()
		for r in $(seq 1 "$reps"); do
			vec=()
			[ "$r" = 1 ] && vec=(-vectors "$work/vec.$tree.$l")
			/usr/bin/time -f '%M' -o "$work/rss" "$work/$tree" -layers "$l" "${vec[@]}" >"$work/out" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
			rss+=("$(cat "$work/rss")")
			read -r weight m sum < <(awk '{for(i=1;i<NF;i++){if($i=="weight_MiB")w=$(i+1); if($i=="model_peak_MiB")m=$(i+1); if($i=="sha256")s=$(i+1)}} END{print w, m, s}' "$work/out")
			models+=("$m")
		done
		med=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
		model=$(printf '%s\n' "${models[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
		peak=$(awk -v k="$med" 'BEGIN{printf "%.1f", k/1024}')
		b=$(awk -v p="$peak" -v w="$weight" 'BEGIN{printf "%.1f", p-w}')
		beyond[$tree,$l]=$b
		sums[$tree,$l]=$sum
		rows+="| $tree | $l | $weight | $model | $peak | $b | $(printf '%s ' "${rss[@]}" | awk '{for(i=1;i<=NF;i++) printf "%s%.0f", (i>1?", ":""), $i/1024}') | \`$sum\` |"$'\n'
		echo "$tree $l layers: peak $peak MiB (runs ${rss[*]} KiB), weights $weight MiB" >&2
	done
done
ratios=""
set -- $layers
for tree in $trees; do
	ratios+="| $tree | ${beyond[$tree,$1]} | ${beyond[$tree,$2]} | $(awk -v a="${beyond[$tree,$1]}" -v b="${beyond[$tree,$2]}" 'BEGIN{printf "%.2f", b/a}') |"$'\n'
done
diffs=""
if [ "$trees" != after ]; then
	cat >"$work/maxdiff.py" <<'PY'
import array, sys
a, b = array.array("f"), array.array("f")
a.frombytes(open(sys.argv[1], "rb").read())
b.frombytes(open(sys.argv[2], "rb").read())
assert len(a) == len(b), (len(a), len(b))
print(f"{max(abs(x - y) for x, y in zip(a, b)):.2g}")
PY
	for l in $layers; do
		diffs+="$l layers: $(/usr/bin/python3 "$work/maxdiff.py" "$work/vec.before.$l" "$work/vec.after.$l"); "
	done
fi
section=$work/section.md
{
	echo "## Inference memory and depth"
	echo
	echo "\`${BEFORE:+BEFORE=$BEFORE }bash bench/memory_depth.sh\` on $(date -u +%Y-%m-%d)$( [ -n "${BEFORE:-}" ] && echo " (before: $BEFORE, after: the working tree)"). A random-weight"
	echo "BERT of hidden 384, 12 heads, FFN 1536 and a 30522-token vocabulary encodes SciFact's first"
	echo "256 documents in batches of 64 × 128 tokens (mean pooling, normalised) through"
	echo "retrieval.Encoder (\`go run ./bench/cmd/memdepth -layers L\`). Peak RSS is GNU time's maximum"
	echo "resident set size, the median of $reps runs (all runs listed, MiB); weights are 4 bytes per"
	echo "parameter; \"model built\" is the process's peak resident memory once the model exists, before"
	echo "any encoding (median of the runs too); the hash is of the vectors.${diffs:+ Largest difference between the vectors of the two trees (unit vectors of 384 values): ${diffs%; }.}"
	echo
	echo "| tree | layers | weights MiB | model built MiB | peak RSS MiB | peak − weights MiB | runs | vectors sha256 |"
	echo "|---|--:|--:|--:|--:|--:|---|---|"
	printf '%s' "$rows"
	echo
	echo "| tree | $1 layers: peak − weights | $2 layers: peak − weights | ratio |"
	echo "|---|--:|--:|--:|"
	printf '%s' "$ratios"
	echo
	echo "Target: the deeper model's peak beyond the weights within 10% of the shallower's (ratio ≤ 1.10)."
	echo
	echo "What keeps it flat (the working tree against 985035e):"
	echo
	echo "- **Tape memory.** At inference (a tape with NoGrad) the encoder takes one tape mark before"
	echo "  the embeddings and keeps the hidden states at that mark (Tape.Keep) after the embeddings,"
	echo "  after each layer's attention block and after its feed-forward block: everything else made"
	echo "  since the mark, the previous hidden states included, is freed, so the arena holds one"
	echo "  matrix of hidden states between blocks and one block's intermediates at most, whatever the"
	echo "  depth. retrieval.Encoder runs each batch as packed sequences without padding"
	echo "  (Bert.ForwardPacked), and attention without gradients computes each (sequence, head)'s"
	echo "  probabilities in a reused scratch of L² values per goroutine instead of keeping all of"
	echo "  them. Before, each layer took its own mark above its input, so every layer's output stayed"
	echo "  and the arena's 64 MiB chunks filled differently at each depth. With gradients nothing"
	echo "  changes: training needs every intermediate (or recomputes them: Bert.Recompute)."
	echo "- **Building the model.** autograd.Params reallocated its flat value and gradient buffers"
	echo "  exactly at each parameter added and copied both: building a model left a quadratic trail of"
	echo "  discarded copies and touched the whole gradient buffer, so the high-water mark was set"
	echo "  while building (before: \"model built\" ≈ peak) and grew with depth. NewBert now reserves"
	echo "  its exact size (Params.Reserve), Add otherwise grows by doubling, and the gradient buffer is"
	echo "  copied only when it holds a nonzero value, so a process that never trains never touches it."
	echo
	echo "Keep moves values and never recomputes them: nn's TestInferenceForwardExact compares the"
	echo "hidden states and pooled vectors of 1-, 4- and 12-layer models bit for bit with a recording"
	echo "tape's on every kernel tier, and asserts that the tape's peak is the same at every depth."
	echo "Packing changes the rounding of sums that skipped masked zeros, hence the small difference"
	echo "between the trees' vectors above; nn's TestForwardPackedMatchesPadded bounds it against the"
	echo "padded path. What remains flat in depth is the arena's one block at batch 64 × 128 (QKV,"
	echo "36 MiB, and the attention block's outputs, 12 MiB each; the feed-forward runs in blocks of 1,024 rows, 6 MiB), the"
	echo "weights' gradient buffer's address space (untouched), tokenizer and runtime."
	echo
	echo '```text'
	"$work/rrra" info | head -8
	echo '```'
} >"$section"
if grep -q '^## Inference memory and depth' docs/memory.md 2>/dev/null; then
	sed -i '/^## Inference memory and depth/,$d' docs/memory.md
fi
cat "$section" >>docs/memory.md
cat "$section"
