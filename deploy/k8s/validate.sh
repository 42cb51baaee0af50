#!/usr/bin/env bash
# validate.sh: checks every manifest in deploy/k8s against the API schema of
# one Kubernetes release, offline, with kubeconform in strict mode (an
# unknown or misspelled field fails, as with kubectl's default
# --validate=strict), then checks that the two Jobs agree on the shards, and
# that kubeconform rejects broken copies of the manifests (so that the check
# cannot pass by validating nothing). No cluster is involved: the manifests
# are checked, not run.
#
# Everything comes through the Go module proxy, keyed by version, and is
# kept under CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/rrra/k8s):
#
#	kubeconform  go install github.com/yannh/kubeconform/cmd/kubeconform@KUBECONFORM_VERSION
#	schemas      api/openapi-spec/swagger.json of the module
#	             k8s.io/kubernetes@vK8S_VERSION (the go command checks the
#	             module against the checksum database), converted to
#	             kubeconform's JSON schemas by openapi2jsonschema.go, next
#	             to this script; the download (a 21 MB zip, 124 MB
#	             unpacked, for v1.37.2) goes to a temporary module cache
#	             that is removed, and 1.6 MB of schemas are kept.
#
# Environment: K8S_VERSION (default 1.37.2), KUBECONFORM_VERSION (default
# v0.8.0), CACHE. Needs go (1.26: kubeconform v0.8.0's go.mod asks for it),
# the module proxy, coreutils, sed, grep and cmp. Exits non-zero on any
# invalid manifest.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.37.2}
KUBECONFORM_VERSION=${KUBECONFORM_VERSION:-v0.8.0}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rrra/k8s}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "validate.sh: $*" >&2
	exit 1
}
command -v go >/dev/null || die "go is not on PATH"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rrra-k8s-validate.XXXXXX")
# The module cache marks what it unpacks read-only.
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# kubeconform, built once per version.
kubeconform=$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform
if [[ ! -x $kubeconform ]]; then
	echo "validate.sh: building kubeconform $KUBECONFORM_VERSION into $(dirname "$kubeconform")"
	mkdir -p "$(dirname "$kubeconform")"
	(cd "$tmp" && GOWORK=off GOBIN=$tmp/bin go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION")
	mv -f "$tmp/bin/kubeconform" "$kubeconform"
fi

# The schemas, made once per Kubernetes version and converter (a change to
# openapi2jsonschema.go makes them anew).
converter=$here/openapi2jsonschema.go
conv_hash=$(sha256sum "$converter" | cut -c1-12)
schemas=$CACHE/schemas/v$K8S_VERSION-strict-$conv_hash
if [[ ! -f $schemas/SOURCE ]]; then
	echo "validate.sh: downloading k8s.io/kubernetes@v$K8S_VERSION through $(go env GOPROXY) for its OpenAPI document"
	start=$SECONDS
	(cd "$tmp" && GOWORK=off GOMODCACHE=$tmp/mod GOFLAGS="${GOFLAGS:-} -modcacherw" \
		go mod download -json "k8s.io/kubernetes@v$K8S_VERSION") >"$tmp/download.json"
	dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' "$tmp/download.json")
	zip=$(sed -n 's/^[[:space:]]*"Zip": "\(.*\)",*$/\1/p' "$tmp/download.json")
	sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p' "$tmp/download.json")
	swagger=$dir/api/openapi-spec/swagger.json
	[[ -f $swagger ]] || die "k8s.io/kubernetes@v$K8S_VERSION has no api/openapi-spec/swagger.json"
	echo "validate.sh: $(du -m "$zip" | cut -f1) MB zip, $(du -sm "$dir" | cut -f1) MB unpacked, in $((SECONDS - start)) s; converting"
	stage=$tmp/schemas
	(cd "$here" && go run "$converter" -in "$swagger" -out "$stage")
	cat >"$stage/SOURCE" <<-SOURCE
		module:    k8s.io/kubernetes@v$K8S_VERSION ($sum, checked by the go command, GOSUMDB=$(go env GOSUMDB))
		document:  api/openapi-spec/swagger.json, sha256 $(sha256sum "$swagger" | cut -d' ' -f1)
		converter: deploy/k8s/openapi2jsonschema.go, sha256 $(sha256sum "$converter" | cut -d' ' -f1)
	SOURCE
	mkdir -p "$CACHE/schemas"
	rm -rf "$schemas"
	mv "$stage" "$schemas"
fi
location="$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
for kind in job-batch-v1 persistentvolumeclaim-v1 configmap-v1 pod-v1; do
	[[ -s $schemas/$kind.json ]] || die "$schemas has no $kind.json"
done

run_kubeconform() {
	"$kubeconform" -strict -summary -schema-location "$location" "$@"
}

# 1. Every manifest, against the schema. Every resource must be found and
# valid: none skipped, none without a schema.
manifests=("$here"/*.yaml)
resources=$(cat "${manifests[@]}" | grep -c '^kind:')
echo "validate.sh: kubeconform $KUBECONFORM_VERSION -strict, Kubernetes v$K8S_VERSION schemas ($schemas)"
if ! out=$(run_kubeconform -verbose "${manifests[@]}" 2>&1); then
	echo "$out"
	die "kubeconform rejected the manifests"
fi
echo "$out"
grep -q "Valid: $resources, Invalid: 0, Errors: 0, Skipped: 0" <<<"$out" ||
	die "want all $resources resources valid, none skipped"

# 2. What the schema cannot say: the values of string fields that the API
# server checks (the OpenAPI document lists no enums), and that the two
# Jobs agree on N, the shards.
job=$here/index-job.yaml
merge=$here/merge-job.yaml
grep -q '^  completionMode: Indexed$' "$job" || die "$job: want completionMode: Indexed"
for f in "$job" "$merge"; do
	# backoffLimitPerIndex and podFailurePolicy are refused without it
	grep -q '^      restartPolicy: Never\b' "$f" || die "$f: want restartPolicy: Never"
done
n=$(sed -n 's/^  completions: \([0-9][0-9]*\).*/\1/p' "$job")
[[ -n $n ]] && ((n >= 2)) || die "$job: want completions: N with N ≥ 2 (the shards)"
shard=$(grep -o -- '- $(JOB_COMPLETION_INDEX)/[0-9]*' "$job" | sed 's|.*/||')
[[ $shard == "$n" ]] || die "$job: --shard \$(JOB_COMPLETION_INDEX)/$shard, but completions: $n"
grep -q -- '- /work/out/shard-$(JOB_COMPLETION_INDEX).idx$' "$job" ||
	die "$job: want --out /work/out/shard-\$(JOB_COMPLETION_INDEX).idx"
p=$(sed -n 's/^  parallelism: \([0-9][0-9]*\).*/\1/p' "$job")
[[ -n $p ]] && ((p >= 1 && p <= n)) || die "$job: want parallelism: P with 1 ≤ P ≤ $n"
ins=$(grep -o -- '- /work/out/shard-[0-9]*\.idx$' "$merge" | sed 's/^- //' | tr '\n' ' ')
want=$(for ((i = 0; i < n; i++)); do printf '/work/out/shard-%d.idx ' "$i"; done)
[[ $ins == "$want" ]] || die "$merge: the merge's --in files are [${ins% }], want the $n shards [${want% }]"
[[ $(grep -c -- '- --in\b' "$merge") == "$n" ]] || die "$merge: want $n --in flags"
echo "validate.sh: the Jobs agree: $n shards (index pods run $p at once), merged from ${want% }"

# 3. Broken copies must be rejected, each for its own reason.
broken() { # broken FILE SED-EXPRESSION WANT-IN-OUTPUT
	local file=$1 expr=$2 want=$3 copy
	copy=$tmp/broken-$(basename "$file" .yaml)-$RANDOM.yaml
	sed "$expr" "$here/$file" >"$copy"
	cmp -s "$here/$file" "$copy" && die "sed '$expr' changes nothing in $file: update this test"
	if out=$(run_kubeconform "$copy" 2>&1); then
		echo "$out"
		die "kubeconform accepted $file broken by sed '$expr'"
	fi
	grep -q -- "$want" <<<"$out" || {
		echo "$out"
		die "kubeconform rejected $file broken by sed '$expr', but not with '$want'"
	}
	echo "  rejected as it should be: $file with sed '$expr': $(grep -o -- "$want" <<<"$out" | head -1)"
}
echo "validate.sh: broken copies"
broken index-job.yaml 's/completionMode: Indexed/completionsMode: Indexed/' "additional properties 'completionsMode' not allowed"
broken index-job.yaml 's/parallelism: 4/parallelism: "two"/' "at '/spec/parallelism': got string, want integer"
broken index-job.yaml 's/fieldPath: metadata/fieldpath: metadata/' "missing property 'fieldPath'"
broken merge-job.yaml 's/readOnlyRootFilesystem/readOnlyRootFileSystem/' "additional properties 'readOnlyRootFileSystem' not allowed"
broken merge-job.yaml 's/memory: 1Gi/memory: [1Gi]/' "limits/memory': 'oneOf' failed"
broken pvc.yaml 's/accessModes:/accessMode:/' "additional properties 'accessMode' not allowed"
broken params.yaml 's/SPLIT: test/SPLIT: 7/' "at '/data/SPLIT': got number, want string"
broken stage-pod.yaml 's/^kind: Pod/kind: Pod\nkind: Pod/' 'key "kind" already set in map'
echo "validate.sh: all $resources resources valid against Kubernetes v$K8S_VERSION; 8 broken copies rejected"
