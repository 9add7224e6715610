#!/usr/bin/env bash
# Builds the real tools the cluster test tier drives — etcd, kube-apiserver, istioctl, helm, kustomize — with Go
# from the Go module proxy, into a cache outside the clone keyed by tool and version, and reuses what is there:
#   ${MESHMCP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshmcp/cluster-tools}/<tool>-<version>/<binary>
# Versions live in versions.env beside this script. Nothing from the tools' sources lands in the clone.
#
# `go install module@version` refuses a module whose go.mod has replace directives (k8s.io/kubernetes maps its
# staging modules to ./staging/src/...; etcd's server module points at its sibling directories). So every tool
# is built from a throwaway wrapper module in a temp dir: it requires the tool's module and carries the tool's own
# replace directives, with each local-path one mapped to the published module at the matching version.
#
# It also builds test/cluster/istiod (meshmcp-istiod, our harness over istiod's own config generation) against the
# same istio.io/istio version as istioctl, into istiod-harness-<hash of its sources and that version>/.
#
# Usage: build.sh [--print-dir | --check | --harness-dir]
#   --print-dir    print the cache directory
#   --check        exit 0 only if every tool and the harness are built
#   --harness-dir  print the harness's directory in the cache (built or not)
# Exit status: 0 when every tool is there afterwards; 1 when any failed (the others are still built).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache="${MESHMCP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshmcp/cluster-tools}"
harness_src="$here/../istiod"
harness_key="$(cat "$harness_src"/*.go | { sha256sum; echo "$ISTIO_VERSION"; } | sha256sum | cut -c1-12)"
harness_dir="$cache/istiod-harness-$harness_key"
if [ "${1:-}" = "--harness-dir" ]; then
  echo "$harness_dir"
  exit 0
fi
if [ "${1:-}" = "--print-dir" ]; then
  echo "$cache"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  for t in "etcd-$ETCD_VERSION/etcd" "kube-apiserver-$KUBERNETES_VERSION/kube-apiserver" \
    "istioctl-$ISTIO_VERSION/istioctl" "helm-$HELM_VERSION/helm" "kustomize-$KUSTOMIZE_VERSION/kustomize"; do
    [ -x "$cache/$t" ] || exit 1
  done
  [ -x "$harness_dir/meshmcp-istiod" ] || exit 1
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "cluster tools: go is not on PATH; the cluster tier builds its tools with Go (1.26 or newer)" >&2
  exit 1
fi

mkdir -p "$cache"
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

# One builder at a time per cache (two `npm test` runs at once must not build the same tool twice).
exec 9>"$cache/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

failed=()
work=""
cleanup() {
  if [ -n "$work" ] && [ -d "$work" ]; then
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Print the replace directives of a go.mod as "old => new" lines (single-line and block forms).
replaces_of() {
  awk '
    /^replace[ \t]*\(/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock { sub(/\/\/.*/, ""); if ($0 ~ /=>/) print; next }
    /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); sub(/\/\/.*/, ""); print }
  ' "$1"
}

# wrapper_gomod NAME MODULE VERSION LOCAL_REPLACE_VERSION: a go.mod that requires MODULE at VERSION and repeats its
# replace directives, each local-path one mapped to the published module at LOCAL_REPLACE_VERSION.
wrapper_gomod() {
  local name="$1" module="$2" version="$3" local_version="$4"
  local gomod
  gomod="$(go mod download -json "$module@$version" | awk -F'"' '/"GoMod"/ { print $4 }')"
  if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
    echo "no go.mod downloaded for $module@$version" >&2
    exit 1
  fi
  {
    echo "module meshmcp.local/cluster-tools/$name"
    echo
    echo "go 1.26.0"
    echo
    echo "require $module $version"
    echo
    replaces_of "$gomod" | while read -r left arrow right rest; do
      # left may carry a version ("path v1.2.3 => ..."): then arrow is that version and the rest shifts.
      if [ "$right" = "=>" ]; then
        left="$left $arrow"
        arrow="=>"
        right="${rest%% *}"
        rest="${rest#"$right"}"
      fi
      [ "$arrow" = "=>" ] || continue
      case "$right" in
        *FORBIDDEN*) continue ;;
        ./* | ../*) echo "replace ${left%% *} => ${left%% *} $local_version" ;;
        *) echo "replace $left => $right $rest" ;;
      esac
    done
  }
}

# build_tool NAME VERSION BINARY MODULE PACKAGE LOCAL_REPLACE_VERSION COLD_ESTIMATE [LDFLAGS...]
build_tool() {
  local name="$1" version="$2" binary="$3" module="$4" package="$5" local_version="$6" estimate="$7"
  shift 7
  local extra_ldflags="$*"
  local dir="$cache/$name-$version"
  local out="$dir/$binary"
  if [ -x "$out" ]; then
    echo "cluster tools: $name $version ready ($out)"
    return 0
  fi
  echo "cluster tools: building $name $version (cold: ~$estimate)..."
  local started
  started=$(date +%s)
  mkdir -p "$dir"
  local log="$dir/build.log"
  : >"$log"
  work="$(mktemp -d "${TMPDIR:-/tmp}/meshmcp-tools-$name.XXXXXX")"
  if ! (
    set -euo pipefail
    cd "$work"
    # Written aside first: go mod download must not meet a half-written go.mod in this directory.
    wrapper_gomod "$name" "$module" "$version" "$local_version" >wrapper.mod && mv wrapper.mod go.mod
    echo "--- wrapper go.mod" >>"$log"
    cat go.mod >>"$log"
    echo "--- go get $package@$version" >>"$log"
    go get "$package@$version" >>"$log" 2>&1
    echo "--- go build" >>"$log"
    go build -trimpath -ldflags="-s -w $extra_ldflags" -o "$out.partial" "$package" >>"$log" 2>&1
    mv "$out.partial" "$out"
  ); then
    echo "cluster tools: FAILED to build $name $version; last lines of $log:" >&2
    tail -n 25 "$log" >&2 || true
    failed+=("$name")
  else
    local took=$(($(date +%s) - started))
    echo "cluster tools: built $name $version in $((took / 60))m$((took % 60))s"
    echo "$took" >"$dir/build-seconds"
  fi
  cleanup
  work=""
}

k8s_ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
k8s_ldflags+=" -X k8s.io/component-base/version.gitMajor=$(echo "$KUBERNETES_VERSION" | sed -E 's/^v([0-9]+)\..*/\1/')"
k8s_ldflags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')"
k8s_ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"

build_tool etcd "$ETCD_VERSION" etcd go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "3 min"
build_tool kube-apiserver "$KUBERNETES_VERSION" kube-apiserver k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-apiserver \
  "$KUBERNETES_STAGING_VERSION" "10 min" "$k8s_ldflags"
build_tool istioctl "$ISTIO_VERSION" istioctl istio.io/istio istio.io/istio/istioctl/cmd/istioctl "$ISTIO_VERSION" "12 min"
build_tool helm "$HELM_VERSION" helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "2-5 min"
build_tool kustomize "$KUSTOMIZE_VERSION" kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 \
  "$KUSTOMIZE_VERSION" "1 min"

# The harness is our own main package: its wrapper module requires istio.io/istio at ISTIO_VERSION (the packages
# istio's own tests use) and `go mod tidy` completes the requirements; with istio the only requirement, minimal
# version selection takes every module at the version istio's go.mod names, i.e. the code istiod is built with.
build_harness() {
  local out="$harness_dir/meshmcp-istiod"
  if [ -x "$out" ]; then
    echo "cluster tools: istiod harness ready ($out)"
    return 0
  fi
  echo "cluster tools: building the istiod harness against istio $ISTIO_VERSION (cold after istioctl: ~5 min)..."
  local started
  started=$(date +%s)
  mkdir -p "$harness_dir"
  local log="$harness_dir/build.log"
  : >"$log"
  work="$(mktemp -d "${TMPDIR:-/tmp}/meshmcp-tools-harness.XXXXXX")"
  if ! (
    set -euo pipefail
    cd "$work"
    cp "$harness_src"/*.go .
    wrapper_gomod istiod-harness istio.io/istio "$ISTIO_VERSION" "$ISTIO_VERSION" >wrapper.mod && mv wrapper.mod go.mod
    echo "--- go mod tidy" >>"$log"
    go mod tidy >>"$log" 2>&1
    echo "--- go build" >>"$log"
    go build -trimpath -ldflags="-s -w" -o "$out.partial" . >>"$log" 2>&1
    mv "$out.partial" "$out"
  ); then
    echo "cluster tools: FAILED to build the istiod harness; last lines of $log:" >&2
    tail -n 25 "$log" >&2 || true
    failed+=("istiod-harness")
  else
    local took=$(($(date +%s) - started))
    echo "cluster tools: built the istiod harness in $((took / 60))m$((took % 60))s"
    # Builds of older harness sources are never used again.
    find "$cache" -maxdepth 1 -name 'istiod-harness-*' ! -path "$harness_dir" -exec rm -rf {} +
  fi
  cleanup
  work=""
}
build_harness

if [ ${#failed[@]} -gt 0 ]; then
  echo "cluster tools: failed: ${failed[*]} (see build.log in each tool's directory under $cache)" >&2
  exit 1
fi
echo "cluster tools: all ready in $cache"
