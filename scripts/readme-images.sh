#!/usr/bin/env bash
# Redraws the README's figures from real runs of the built-in scenarios, at
# their own seeds (a minute or two on two cores), and docs/figures.md's from
# the plots package's test tables:
#
#   scripts/readme-images.sh
#
# The runs are deterministic: the same natmo gives the same PNGs.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/natmo" ./cmd/natmo
"$tmp/natmo" run emergent-misalignment --out "$tmp/em" --format png --quiet >/dev/null
"$tmp/natmo" run cot-monitor-pressure --out "$tmp/cot" --format png --quiet >/dev/null
cp "$tmp/em/figures/emergent-misalignment-curves-misalignment_offdomain-misalignment_indomain-persona_shift.png" docs/img/em-curves.png
cp "$tmp/cot/figures/cot-monitor-pressure-hacking-and-recall.png" docs/img/cot-hacking-and-recall.png
mkdir "$tmp/f"
PLOTS_OUT="$tmp/f" go test -count=1 -run 'TestRenderOut|TestRenderGrid' ./plots >/dev/null
cp "$tmp/f/toy-curves-misalignment_offdomain-capability.png" docs/img/figure-curves.png
cp "$tmp/f/toy-bars-misalignment_offdomain.png" docs/img/figure-bars.png
cp "$tmp/f/toy-overview.png" docs/img/figure-grid.png
cp "$tmp/f/toy-dose-misalignment_offdomain.png" docs/img/figure-dose.png
echo "docs/img: em-curves.png cot-hacking-and-recall.png figure-{curves,bars,grid,dose}.png"
