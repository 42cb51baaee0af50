#!/usr/bin/env bash
# Runs rrra's native Go fuzz targets one after another, each for a set
# number of executions or a set time, on one worker (-parallel 1,
# GOMAXPROCS=1), and prints a table of what each did: executions, wall
# time and result. A crasher is written by go test to the package's
# testdata/fuzz/<Target>/; fix the reader, then keep the file as a seed.
# The fuzzing cache (the corpus the fuzzer grows) stays in GOCACHE, not in
# the repository.
#
# The default targets are the parsers: every reader of a file or a request
# that rrra takes from outside (BEIR corpus, queries and qrels, Tevatron
# training JSONL, TREC runs and qrels, safetensors, .npy, config.json,
# vocab.txt, index files, tokenizer input, the server's query parameters).
# "all" adds the kernel targets (SGEMM and dot products against the
# generic code), which are slower per execution.
#
# Usage:
#
#	bash bench/fuzz.sh                 # parsers, 1,000,000 executions each
#	FUZZTIME=30s bash bench/fuzz.sh    # parsers, 30 seconds each
#	bash bench/fuzz.sh FuzzQrels FuzzParse   # the named targets only
#	bash bench/fuzz.sh all             # parsers and kernels
#
# FUZZTIME is anything go test's -fuzztime takes: a duration (30s, 5m) or
# a count (1000000x). The exit status is 1 if any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-1000000x}

parsers=(
	"./retrieval/beir FuzzCorpus"
	"./retrieval/beir FuzzQueries"
	"./retrieval/beir FuzzQrels"
	"./retrieval/beir FuzzTrainExamples"
	"./retrieval/beir FuzzParsers"
	"./retrieval/metrics FuzzReadRun"
	"./retrieval/metrics FuzzReadQrels"
	"./tensor FuzzDecodeSafetensors"
	"./tensor FuzzDecodeNpy"
	"./nn FuzzParseConfig"
	"./nn/wordpiece FuzzParseVocab"
	"./nn/wordpiece FuzzTokenize"
	"./retrieval/index FuzzParse"
	"./adapter/server FuzzServeParams"
)
kernels=(
	"./kernels FuzzSgemm"
	"./kernels FuzzDot"
)

targets=()
case "${1:-}" in
"") targets=("${parsers[@]}") ;;
all) targets=("${parsers[@]}" "${kernels[@]}") ;;
*)
	for name in "$@"; do
		found=0
		for t in "${parsers[@]}" "${kernels[@]}"; do
			if [[ ${t#* } == "$name" ]]; then
				targets+=("$t")
				found=1
			fi
		done
		if ((found == 0)); then
			echo "fuzz.sh: no target $name" >&2
			exit 2
		fi
	done
	;;
esac

export GOMAXPROCS=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
printf '%-24s %-20s %12s %9s  %s\n' target package executions wall result
for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	began=$(date +%s)
	if go test -p 1 -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 1 "$pkg" >"$log" 2>&1; then
		result=ok
	else
		result=FAIL
		failed=1
	fi
	wall=$(($(date +%s) - began))
	# The last progress line carries the total: "fuzz: elapsed: 3m2s, execs: 1000000 (…)".
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	printf '%-24s %-20s %12s %8ss  %s\n' "$name" "$pkg" "${execs:-?}" "$wall" "$result"
	if [[ $result == FAIL ]]; then
		grep -v '^fuzz: elapsed' "$log" | tail -n 20 | sed 's/^/    /'
	fi
done
exit $failed
