#!/usr/bin/env bash
# Times nn's BenchmarkTrainStep and BenchmarkEncode against the same model in
# PyTorch (bench/bert_torch.py), for the tiny and small configurations (or
# CONFIGS, e.g. minilm) at 1 and 2 threads (or THREADS), interleaved round
# by round, each run in its own process so that its peak RSS is its own;
# every run times STEPS iterations (default 3) after 2 warm-up ones. A
# config with -bf16 appended (minilm-bf16) runs the training step in
# bfloat16: BenchmarkTrainStep/<config>-bf16 against bert_torch.py
# --precision bf16 (torch.autocast); train only. Prints
# a markdown table of medians and ratios. Needs Debian's python3-torch for
# the PyTorch columns, with libopenblas0-pthread (installs nothing).
# Usage: bash bench/bert.sh [rounds]   (default 3)
#        CONFIGS=minilm THREADS=1 STEPS=1 WHAT=train bash bench/bert.sh 5
#        CONFIGS="minilm minilm-bf16" THREADS=1 STEPS=1 WHAT=train bash bench/bert.sh 5
#        NO_TORCH=1 CONFIGS="minilm minilm-bf16" THREADS=1 STEPS=1 WHAT=train bash bench/bert.sh 5
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
configs=${CONFIGS:-tiny small}
threads=${THREADS:-1 2}
steps=${STEPS:-3}
whats=${WHAT:-train encode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/nn.test" ./nn
go build -o "$tmp/rrra" ./cmd/rrra
py=/usr/bin/python3
have_torch=1
"$py" -c 'import torch' 2>/dev/null || have_torch=0
[ "${NO_TORCH:-0}" = 1 ] && have_torch=0 # rrra alone: NO_TORCH=1

ours() { # bench config threads -> "ms rss"
	(cd nn && "$tmp/nn.test" -test.run '^$' -test.bench "^Benchmark$1\$/^$2\$/^t$3\$" -test.benchtime "${steps}x") |
		awk '/^Benchmark/ { for (i = 1; i <= NF; i++) { if ($i == "ns/op") ms = $(i-1) / 1e6; if ($i == "peak-RSS-MiB") rss = $(i-1) } print ms, rss }'
}
torch() { # what config threads -> "ms rss"
	local cfg=$2 prec=fp32
	case $cfg in *-bf16) cfg=${cfg%-bf16} prec=bf16 ;; esac
	env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$3" OMP_WAIT_POLICY=PASSIVE "$py" bench/bert_torch.py --what "$1" --config "$cfg" --precision "$prec" --threads "$3" --steps "$steps" |
		"$py" -c 'import json,sys; d = json.load(sys.stdin); print(d["median_ms"], d["peak_rss_mib"])'
}
for r in $(seq "$rounds"); do
	for cfg in $configs; do
		for th in $threads; do
			for what in $whats; do
				bench=TrainStep
				[ "$what" = encode ] && bench=Encode
				echo "ours $what $cfg $th $(ours "$bench" "$cfg" "$th")" >>"$tmp/samples"
				if [ "$have_torch" = 1 ]; then
					echo "torch $what $cfg $th $(torch "$what" "$cfg" "$th")" >>"$tmp/samples"
				fi
			done
		done
	done
	echo "round $r/$rounds done" >&2
done
info=$("$tmp/rrra" info | awk -F': *' '$1 == "cpu" || $1 == "cores" || $1 == "selected" { sub(/ \(force.*/, "", $2); printf "%s%s %s", (n++ ? "; " : ""), $1, $2 }')
echo "Machine (rrra info): $info. Date $(date -u +%Y-%m-%d)."
echo
"$py" - "$tmp/samples" "$have_torch" "$steps" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    who, what, cfg, th, ms, rss = line.split()
    rows.setdefault((who, what, cfg, int(th)), []).append((float(ms), float(rss)))
have = sys.argv[2] == "1"
print("| benchmark | threads | rrra | PyTorch 1.13 | speed ratio (range) | rrra peak RSS MiB | PyTorch peak RSS MiB | RSS ratio |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for what in ("train", "encode"):
    for cfg in ("tiny", "small", "minilm", "bert-base", "tiny-bf16", "small-bf16", "minilm-bf16", "bert-base-bf16"):
        for th in (1, 2):
            if ("ours", what, cfg, th) not in rows:
                continue
            o = rows[("ours", what, cfg, th)]
            oms = statistics.median(x for x, _ in o)
            orss = max(y for _, y in o)
            def unit(ms):
                if what != "train":
                    return f"{64000 / ms:.0f} docs/s"
                return f"{1000 / ms:.2f} steps/s" if ms < 10000 else f"{ms / 1000:.1f} s/step"
            line = f"| {what} {cfg} | {th} | {unit(oms)} |"
            if have:
                p = rows[("torch", what, cfg, th)]
                pms = statistics.median(x for x, _ in p)
                prss = max(y for _, y in p)
                # Rounds pair up in order: each round ran both.
                rr = [b / a for (a, _), (b, _) in zip(o, p)]
                line += f" {unit(pms)} | {pms / oms:.2f} ({min(rr):.2f}–{max(rr):.2f}) | {orss:.0f} | {prss:.0f} | {orss / prss:.2f} |"
            else:
                line += f" n/a | n/a | {orss:.0f} | n/a | n/a |"
            print(line)
# bfloat16 against float32, each side's own: fp32 time / bf16 time.
pairs = [(w, c, th) for (w, what, c, th) in rows if w == "ours" and c.endswith("-bf16") and ("ours", what, c[:-5], th) in rows]
if pairs:
    print("\n| training step | threads | rrra bf16 ÷ fp32 speed (range) | PyTorch bf16 ÷ fp32 speed (range) |")
    print("|---|--:|--:|--:|")
    for _, c, th in sorted(pairs):
        cells = []
        for who in ("ours", "torch"):
            if (who, "train", c, th) not in rows:
                cells.append("n/a")
                continue
            f, b = rows[(who, "train", c[:-5], th)], rows[(who, "train", c, th)]
            med = statistics.median(x for x, _ in f) / statistics.median(x for x, _ in b)
            rr = [x / y for (x, _), (y, _) in zip(f, b)]
            cells.append(f"{med:.2f} ({min(rr):.2f}–{max(rr):.2f})")
        print(f"| {c[:-5]} | {th} | " + " | ".join(cells) + " |")
n, steps = len(next(iter(rows.values()))), sys.argv[3]
print(f"\n{n} interleaved rounds; medians of per-run medians (rrra: {steps} iterations after 2 warm-up; PyTorch: {steps} after 2); speed ratio = PyTorch time / rrra time (in brackets the range of the per-round ratios); peak RSS is the largest over rounds, each run in its own process.")
PY
