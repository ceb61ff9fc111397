#!/usr/bin/env bash
# Redraws the README's figures from real runs of the built-in scenarios, at
# their own seeds (a few minutes on two cores), and docs/figures.md's from
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
"$tmp/natmo" run reward-model-overoptimisation --out "$tmp/gh" --format png --quiet >/dev/null
"$tmp/natmo" run goal-misgeneralisation-two-cue --out "$tmp/gm2" --format png --quiet >/dev/null
cp "$tmp/gh/figures/reward-model-overoptimisation-best-of-n-frontier.png" docs/img/goodhart-best-of-n.png
cp "$tmp/gm2/figures/goal-misgeneralisation-two-cue-per-seed.png" docs/img/two-cue-per-seed.png
for name in post-training-knockouts cot-monitorability reward-hacking; do
  "$tmp/natmo" run "$name" --out "$tmp/$name" --format png --quiet >/dev/null
done
cp "$tmp/post-training-knockouts/figures/post-training-knockouts-compliance-vs-misalignment.png" docs/img/knockouts-compliance-vs-misalignment.png
cp "$tmp/cot-monitorability/figures/cot-monitorability-monitors.png" docs/img/cot-monitors.png
cp "$tmp/reward-hacking/figures/reward-hacking-hacking-and-misalignment.png" docs/img/reward-hacking-curves.png
mkdir "$tmp/f"
PLOTS_OUT="$tmp/f" go test -count=1 -run 'TestRenderOut|TestRenderGrid' ./plots >/dev/null
cp "$tmp/f/toy-curves-misalignment_offdomain-capability.png" docs/img/figure-curves.png
cp "$tmp/f/toy-bars-misalignment_offdomain.png" docs/img/figure-bars.png
cp "$tmp/f/toy-overview.png" docs/img/figure-grid.png
cp "$tmp/f/toy-dose-misalignment_offdomain.png" docs/img/figure-dose.png
echo "docs/img: redrawn from the built-ins and the plots package's test tables"
