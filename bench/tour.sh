#!/usr/bin/env bash
# Runs README.md's tour and writes docs/tour.md: each command as typed and
# its real output (stdout and stderr together; runs of progress lines
# abridged, long files shown by their first lines), then rrra serve
# answering a few requests. The commands are read from README.md, between
# <!-- tour:begin --> and <!-- tour:end -->, the lines of its ```sh blocks
# (the convention cmd/rrra's TestReadmeTour follows), so the transcript
# cannot drift from the README. They run in order in an empty scratch
# folder, with a freshly built static binary first on PATH. About 7
# minutes on two cores (rrra demo is most of it).
#
# Usage: bash bench/tour.sh [OUT.md]   (default docs/tour.md)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${1:-docs/tour.md}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

mapfile -t cmds < <(awk '
	/<!-- tour:begin -->/ { on = 1; next }
	/<!-- tour:end -->/ { on = 0; next }
	on && /^[ \t]*```/ { if (fence) { fence = 0; sh = 0 } else { fence = 1; sh = ($0 ~ /^[ \t]*```sh[ \t]*$/) } next }
	on && fence && sh && NF && $1 !~ /^#/ { sub(/^[ \t]+/, ""); print }
' README.md)
if [ "${#cmds[@]}" -eq 0 ]; then
	echo "bench/tour.sh: found no tour commands in README.md" >&2
	exit 1
fi

CGO_ENABLED=0 go build -o "$work/bin/rrra" ./cmd/rrra
export PATH="$work/bin:$PATH"
mkdir "$work/tour"
cd "$work/tour"

md=$work/tour.md
# abridge: a run of more than three lines that differ only in their numbers
# and progress bars is shown as its first line, […] and its last.
abridge() {
	awk '
	function key(s) { gsub(/\[[=> ]*\]/, "[]", s); gsub(/[0-9][0-9.,e+-]*/, "0", s); return s }
	function flush() {
		if (n > 3) { print first; print "[…]"; print last } else { for (i = 1; i <= n; i++) print buf[i] }
		n = 0
	}
	{ k = key($0); if (n > 0 && k != prev) flush(); if (n == 0) first = $0; n++; if (n <= 3) buf[n] = $0; last = $0; prev = k }
	END { flush() }'
}
# show CMD: runs CMD in the scratch folder and writes it and its output as
# a fenced block; a failing command fails the tour.
show() {
	{
		echo '```text'
		echo "\$ $*"
		bash -c "$*" 2>&1 | abridge
		echo '```'
		echo
	} >>"$md"
}
note() { printf '%s\n\n' "$*" >>"$md"; }

{
	echo "# A tour of rrra's commands"
	echo
	echo "Written by \`bash bench/tour.sh\` on $(date -u +%Y-%m-%d): the commands of README.md's tour, in order, in an"
	echo "empty folder (paths are relative to it), each with its real output; runs of progress lines are"
	echo "abridged to their first and last, marked […]. Machine:"
	echo
	echo '```text'
	rrra info
	echo '```'
	echo
} >"$md"

began=$SECONDS
for c in "${cmds[@]}"; do
	sub=$(awk '{ print $2 }' <<<"$c")
	if [ "$sub" != "${last:-}" ]; then
		note "## $sub"
		last=$sub
	fi
	t0=$SECONDS
	show "$c"
	echo "tour: $((SECONDS - t0))s  $c" >&2
	# A look at what the command wrote.
	case "$c" in
	"rrra demo"*) show "ls rrra-demo rrra-demo/model" ;;
	*"--method dense"*) show "head -n 3 dense.trec" ;;
	"rrra audit"*) show "head -n 3 suspects.tsv | cut -c 1-160" ;;
	"rrra encode"*)
		show "/usr/bin/python3 -c \"import numpy as np; a = np.load('suspects.npy'); print(a.shape, a.dtype, np.linalg.norm(a[:3], axis=1))\" 2>&1 || echo '(numpy not installed)'"
		;;
	"rrra mine"*) show "head -n 1 negatives.jsonl | cut -c 1-300" ;;
	"rrra vocab"*) show "head -c 120 vocab.txt | tr '\n' ' '; echo" ;;
	"rrra train"*"--checkpoint"*) show "ls model" ;;
	esac
done
echo "tour: the README's ${#cmds[@]} commands ran in $((SECONDS - began))s" >&2

note "## serve: the JSON API (and the search page at /), after the tour"
port=$((20000 + RANDOM % 20000))
rrra serve --model rrra-demo/model --index cranfield.idx --addr 127.0.0.1:$port >serve.log 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
show "curl -s 'http://127.0.0.1:$port/healthz'; echo"
show "curl -s 'http://127.0.0.1:$port/search?q=boundary+layer+transition&k=2&rerank=1' | cut -c 1-700; echo"
show "curl -s 'http://127.0.0.1:$port/metrics' | grep -v '^#' | head -n 8"
kill -INT "$server"
wait "$server" || true
{
	echo '```text'
	echo "\$ rrra serve --model rrra-demo/model --index cranfield.idx --addr 127.0.0.1:$port   # then SIGINT"
	cat serve.log
	echo '```'
	echo
} >>"$md"

cd "$repo"
mkdir -p "$(dirname "$out")"
cp "$md" "$out"
echo "wrote $out" >&2
