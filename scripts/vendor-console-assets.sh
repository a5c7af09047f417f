#!/usr/bin/env bash
# Fetch the console's vendored browser files from the npm registry (npm pack) and check them against the sums in
# monitor/console/static/vendor/README.md. With --update, copy them into the package first. Needs node/npm.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=monitor/console/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent lit-html@3.3.3 swagger-ui-dist@5.35.0 redoc@2.5.2 >/dev/null)
for pkg in lit-html-3.3.3 swagger-ui-dist-5.35.0 redoc-2.5.2; do
  mkdir -p "$tmp/$pkg" && tar xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
pairs=(
  "lit-html-3.3.3/package/lit-html.js lit-html/lit-html.js"
  "lit-html-3.3.3/package/LICENSE lit-html/LICENSE"
  "swagger-ui-dist-5.35.0/package/swagger-ui-bundle.js swagger-ui/swagger-ui-bundle.js"
  "swagger-ui-dist-5.35.0/package/swagger-ui-bundle.js.LICENSE.txt swagger-ui/swagger-ui-bundle.js.LICENSE.txt"
  "swagger-ui-dist-5.35.0/package/swagger-ui.css swagger-ui/swagger-ui.css"
  "swagger-ui-dist-5.35.0/package/LICENSE swagger-ui/LICENSE"
  "swagger-ui-dist-5.35.0/package/NOTICE swagger-ui/NOTICE"
  "redoc-2.5.2/package/bundles/redoc.standalone.js redoc/redoc.standalone.js"
  "redoc-2.5.2/package/bundles/redoc.standalone.js.LICENSE.txt redoc/redoc.standalone.js.LICENSE.txt"
  "redoc-2.5.2/package/LICENSE redoc/LICENSE"
)
status=0
for pair in "${pairs[@]}"; do
  read -r src dst <<<"$pair"
  if [[ "${1:-}" == "--update" ]]; then mkdir -p "$(dirname "$VENDOR/$dst")"; cp "$tmp/$src" "$VENDOR/$dst"; fi
  if cmp -s "$tmp/$src" "$VENDOR/$dst"; then echo "ok       $dst"; else echo "DIFFERS  $dst"; status=1; fi
done
exit $status
