#!/usr/bin/env bash
# Re-fetch the portal's vendored browser assets (htmx 2.x, ECharts 5.x) from the npm registry
# into src/openbss/portal/static/vendor/, with their licences and a VERSIONS note.
#
#   scripts/vendor-portal-assets.sh [HTMX_VERSION] [ECHARTS_VERSION]
#
# No build step: the minified files are served as they are published.
set -euo pipefail

HTMX_VERSION="${1:-2}"
ECHARTS_VERSION="${2:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/src/openbss/portal/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # package spec → unpacked directory
    local spec="$1" name="$2"
    (cd "$work" && npm pack --silent "$spec" >"$name.tgz.name")
    mkdir -p "$work/$name"
    tar -xzf "$work/$(cat "$work/$name.tgz.name")" -C "$work/$name" --strip-components=1
}

fetch "htmx.org@$HTMX_VERSION" htmx
fetch "echarts@$ECHARTS_VERSION" echarts

mkdir -p "$dest"
cp "$work/htmx/dist/htmx.min.js" "$dest/htmx.min.js"
cp "$work/htmx/LICENSE" "$dest/htmx.LICENSE"
cp "$work/echarts/dist/echarts.min.js" "$dest/echarts.min.js"
cp "$work/echarts/LICENSE" "$dest/echarts.LICENSE"
if [ -f "$work/echarts/NOTICE" ]; then cp "$work/echarts/NOTICE" "$dest/echarts.NOTICE"; fi

version() { node -e "console.log(require('$1/package.json').version)"; }
cat >"$dest/VERSIONS" <<NOTE
Vendored from the npm registry by scripts/vendor-portal-assets.sh (npm pack).
htmx.org $(version "$work/htmx")  dist/htmx.min.js  licence: BSD-2-Clause (htmx.LICENSE)
echarts $(version "$work/echarts")  dist/echarts.min.js  licence: Apache-2.0 (echarts.LICENSE, echarts.NOTICE)
NOTE
echo "vendored into $dest:"
cat "$dest/VERSIONS"
