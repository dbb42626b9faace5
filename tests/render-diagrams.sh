#!/usr/bin/env bash
# Render every Mermaid diagram the snapshots hold (```mermaid blocks in snapshots/**/*.snap) with
# Mermaid's own renderer, mermaid-cli on Debian's Chromium, and fail on a parse error or a limit
# exceeded (Mermaid's defaults: 50,000 characters, 500 edges). Installs what is missing, so it
# runs on a fresh machine as root.
#
#   tests/render-diagrams.sh           render to SVG in a temporary folder
#   tests/render-diagrams.sh DIR       also keep a PNG of each diagram in DIR, and print its size
set -euo pipefail
cd "$(dirname "$0")/.."
keep=${1:-}

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v mmdc >/dev/null; then
  echo "installing @mermaid-js/mermaid-cli"
  # Puppeteer would download a browser of its own; Debian's Chromium is used instead.
  PUPPETEER_SKIP_DOWNLOAD=1 npm install -g --silent --no-fund --no-audit @mermaid-js/mermaid-cli@11.17.0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# CI runs as root, where Chromium refuses to start without --no-sandbox.
printf '{"executablePath": "%s", "args": ["--no-sandbox", "--disable-gpu"]}\n' \
  "$(command -v chromium)" >"$work/puppeteer.json"

python3 - "$work" <<'EOF'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])
for snap in sorted(pathlib.Path("snapshots").rglob("*.snap")):
    blocks = re.findall(r"^```mermaid\n(.*?)^```", snap.read_text(), re.S | re.M)
    for n, block in enumerate(blocks):
        (out / f"{snap.stem}-{n}.mmd").write_text(block)
EOF

status=0
count=0
for mmd in "$work"/*.mmd; do
  [ -e "$mmd" ] || continue
  name=$(basename "$mmd" .mmd)
  count=$((count + 1))
  chars=$(wc -m <"$mmd")
  edges=$(grep -cE -- '--|-\.' "$mmd" | head -1 || true)
  if ! mmdc -q -p "$work/puppeteer.json" -i "$mmd" -o "$work/$name.svg" >"$work/$name.log" 2>&1; then
    echo "FAILED $name: mermaid-cli refused it"
    sed 's/^/  /' "$work/$name.log" | head -20
    status=1
    continue
  fi
  # Mermaid draws some errors instead of throwing them.
  if grep -qiE 'Syntax error|Maximum text size|exceeded' "$work/$name.svg"; then
    echo "FAILED $name: Mermaid drew an error"
    status=1
    continue
  fi
  size=""
  if [ -n "$keep" ]; then
    mkdir -p "$keep"
    cp "$mmd" "$keep/$name.mmd"
    mmdc -q -p "$work/puppeteer.json" -i "$mmd" -o "$keep/$name.png" >/dev/null 2>&1
    size=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$keep/$name.png")
  fi
  echo "ok $name: $chars characters, $edges edges${size:+, $size px}"
done
if [ "$count" -eq 0 ]; then
  echo "no diagrams found in snapshots/"
  status=1
fi
echo "$count diagrams rendered"
exit $status
