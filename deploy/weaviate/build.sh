#!/usr/bin/env bash
# Builds Weaviate's server, the vector database rrra's export and
# search --engine tests run against, from the Go module proxy with
# CGO_ENABLED=0 (a static binary), into a cache folder that later runs
# reuse: ${XDG_CACHE_HOME:-~/.cache}/rrra/weaviate-VERSION-GOOS-GOARCH/weaviate-server
# (the tests look there for a server of their own architecture, so a
# test binary run under qemu-aarch64 does not start an x86 server).
# Prints the binary's path. About 2 minutes and 170 MB on a 2-core
# machine the first time; nothing the second.
#
# The version is internal/weaviatetest.Version's; the server is Weaviate's
# own code, built, never committed here.
set -euo pipefail
version=${WEAVIATE_VERSION:-v1.35.2}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/rrra/weaviate-$version-$(go env GOOS)-$(go env GOARCH)
bin=$cache/weaviate-server
if [ ! -x "$bin" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# go install with a version ignores the current module, so this
	# builds Weaviate's own go.mod's dependency versions.
	(cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS= go install "github.com/weaviate/weaviate/cmd/weaviate-server@$version") >&2
	mv "$tmp/weaviate-server" "$bin"
fi
echo "$bin"
