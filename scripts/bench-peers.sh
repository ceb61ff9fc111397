#!/usr/bin/env bash
# bench-peers: natmo's training-step and scenario benchmarks side by side with
# the peers in ../shared/peers (the same step in NumPy and PyTorch, and the
# emergent-misalignment scenario sketched in NumPy), in one run, and a table
# of figures and ratios. Absolute figures move with the machine's load;
# ratios measured side by side in one run move much less.
#
#   scripts/bench-peers.sh            # everything
#   REPS=5 scripts/bench-peers.sh     # more repetitions (medians are shown)
#   STEPS_ONLY=1 / SCENARIO_ONLY=1    # one half only
#
# Step comparisons are single-threaded: natmo's benchmark runs with -cpu 1,
# NumPy and OpenBLAS with OPENBLAS_NUM_THREADS=1, PyTorch with 1 thread. The
# scenario runs as users run it: natmo on every core, the NumPy peer as one
# process. Needs Go; the peers need Debian's python3-numpy and python3-torch;
# the OpenBLAS column needs libopenblas-dev (columns whose tool is missing
# are left empty).
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=${PEERS:-../shared/peers}
REPS=${REPS:-3}
SHAPES=("64 34 32 18" "256 34 128 18" "256 64 256 18")
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/figures"   # lines: key value

have_openblas=0
if [ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so '; then
  have_openblas=1
fi
have_numpy=0; /usr/bin/python3 -c 'import numpy' 2>/dev/null && have_numpy=1
have_torch=0; /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

# OpenBLAS 0.3.21 (Debian 12) does not know recent Intel cores and falls back
# to its generic "Prescott" SSE3 kernels, three times slower than its AVX-512
# ones. Give NumPy (and natmo's openblas build) the kernels the CPU can run,
# as a careful researcher would: the comparison should flatter the peers,
# not natmo.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ "$have_numpy" = 1 ]; then
  core=$(OPENBLAS_VERBOSE=2 /usr/bin/python3 -c 'import numpy as np; np.ones((4, 4)) @ np.ones((4, 4))' 2>&1 | sed -n 's/^Core: //p' | head -1 || true)
  if [ "$core" = Prescott ]; then
    if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell
    fi
  fi
fi
echo "# OpenBLAS core: ${OPENBLAS_CORETYPE:-as detected${core:+ ($core)}}"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC')  $(getconf _NPROCESSORS_ONLN) CPUs  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# go test -bench prints "... N steps/s ..."; pick the steps/s figure.
steps_per_s() { awk '{for (i = 2; i <= NF; i++) if ($i == "steps/s") print $(i-1)}'; }

if [ -z "${SCENARIO_ONLY:-}" ]; then
  go test -c -o "$tmp/pipeline.test" ./pipeline
  if [ "$have_openblas" = 1 ]; then
    go test -tags openblas -c -o "$tmp/pipeline-openblas.test" ./pipeline
  fi
  for rep in $(seq "$REPS"); do
    for s in "${SHAPES[@]}"; do
      read -r B IN H OUT <<<"$s"
      name="B${B}_IN${IN}_H${H}_OUT${OUT}"
      key="${B}x${IN}x${H}x${OUT}"
      # Enough steps for about a second per figure at each size.
      n=$((2000 * 64 * 32 * 32 / (B * H * H)))
      [ "$n" -lt 20 ] && n=20
      for kind in SupervisedStep RLStepShapes; do
        "$tmp/pipeline.test" -test.run '^$' -test.bench "^Benchmark${kind}\$/^${name}\$" -test.cpu 1 -test.benchtime 1s \
          | steps_per_s | sed "s/^/go-$kind-$key /" >>"$out"
        if [ "$have_openblas" = 1 ]; then
          "$tmp/pipeline-openblas.test" -test.run '^$' -test.bench "^Benchmark${kind}\$/^${name}\$" -test.cpu 1 -test.benchtime 1s \
            | steps_per_s | sed "s/^/openblas-$kind-$key /" >>"$out"
        fi
      done
      if [ "$have_openblas" = 1 ]; then
        "$tmp/pipeline-openblas.test" -test.run '^$' -test.bench "^BenchmarkSupervisedStep\$/^${name}_allblas\$" -test.cpu 1 -test.benchtime 1s \
          | steps_per_s | sed "s/^/allblas-SupervisedStep-$key /" >>"$out"
      fi
      if [ "$have_numpy" = 1 ]; then
        "$PEERS/numpy_step.py" $B $IN $H $OUT $n | awk '{print $NF}' | sed "s/^/numpy-$key /" >>"$out"
      fi
      if [ "$have_torch" = 1 ]; then
        "$PEERS/torch_step.py" $B $IN $H $OUT $n 1 | awk '{print $NF}' | sed "s/^/torch-$key /" >>"$out"
      fi
    done
  done
fi

if [ -z "${STEPS_ONLY:-}" ]; then
  unset OMP_NUM_THREADS MKL_NUM_THREADS
  go build -o "$tmp/natmo" ./cmd/natmo
  for rep in $(seq "$REPS"); do
    # natmo: wall and CPU seconds of the whole command (loading, training,
    # summary, results folder with figures).
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$tmp/natmo" run emergent-misalignment --out "$tmp/em" --force --quiet >/dev/null
    read -r wall user sys <"$tmp/time"
    echo "natmo-wall $wall" >>"$out"
    echo "natmo-cores $(awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", (u+s)/w}')" >>"$out"
    if [ "$have_numpy" = 1 ]; then
      # Same seeds (16) and fine-tuning steps (300) as the built-in scenario.
      "$PEERS/persona_numpy.py" 1.0 3000 16 300 3e-3 | awk '/wall/ {print "persona-wall", $(NF-6)}' >>"$out"
    fi
  done
fi

echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out" "$REPS" <<'EOF'
import sys, statistics, collections
vals = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, v = line.split()
    vals[k].append(float(v))
med = {k: statistics.median(v) for k, v in vals.items()}
def f(k, fmt="{:.0f}"):
    return fmt.format(med[k]) if k in med else "-"
def r(a, b):
    return "{:.2f}".format(med[a] / med[b]) if a in med and b in med else "-"
shapes = sorted({k.split("-")[-1] for k in med if k.startswith(("go-", "numpy-"))}, key=lambda s: [int(x) for x in s.split("x")])
if shapes:
    print(f"\nTraining step, steps/s (median of {sys.argv[2]}), single-threaded")
    print("| B×IN×H×OUT | natmo | natmo -tags openblas | same, every layer on OpenBLAS | NumPy | PyTorch | natmo / NumPy | natmo / PyTorch | openblas / NumPy | every layer on OpenBLAS / NumPy | natmo RL step | RL step, -tags openblas |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in shapes:
        g, o, a = f"go-SupervisedStep-{s}", f"openblas-SupervisedStep-{s}", f"allblas-SupervisedStep-{s}"
        print(f"| {s} | {f(g)} | {f(o)} | {f(a)} | {f('numpy-'+s)} | {f('torch-'+s)} | {r(g, 'numpy-'+s)} | {r(g, 'torch-'+s)} | {r(o, 'numpy-'+s)} | {r(a, 'numpy-'+s)} | {f('go-RLStepShapes-'+s)} | {f('openblas-RLStepShapes-'+s)} |")
if "natmo-wall" in med:
    print(f"\nScenario emergent-misalignment, 16 seeds, 300 fine-tuning steps (median of {sys.argv[2]})")
    print("| natmo wall s | natmo cores busy | persona_numpy.py wall s | speed-up |")
    print("|---|---|---|---|")
    print(f"| {f('natmo-wall', '{:.2f}')} | {f('natmo-cores', '{:.2f}')} | {f('persona-wall', '{:.2f}')} | {r('persona-wall', 'natmo-wall')} |")
EOF
