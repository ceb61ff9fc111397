#!/usr/bin/env bash
# bench-peers: natmo's benchmarks side by side with the peers in
# ../shared/peers, in one run, and tables of figures and ratios:
#   - one supervised training step and one RL step at three shapes (NumPy and
#     PyTorch peers for the supervised step);
#   - one RL step of the cot world (cot_rl_numpy.py, cot_rl_torch.py);
#   - the emergent-misalignment scenario, and testdata/persona-peer.yaml (the
#     same work as the peer), against persona_numpy.py.
# Every figure is given per wall second and per CPU second (user + system
# time of the process): on a busy machine the CPU figure is the stable one,
# and the ratios are taken in CPU time. Absolute figures move with the load;
# ratios measured side by side in one run move much less.
#
#   scripts/bench-peers.sh            # everything
#   REPS=5 scripts/bench-peers.sh     # more repetitions (medians are shown)
#   STEPS_ONLY=1 / COT_ONLY=1 / SCENARIO_ONLY=1   # one part only
#
# Steps are single-threaded on both sides: natmo's benchmarks with -cpu 1,
# NumPy and OpenBLAS with OPENBLAS_NUM_THREADS=1, PyTorch with 1 thread. The
# scenario runs as users run it: natmo on every core, the NumPy peer as one
# process. Needs Go; the peers need Debian's python3-numpy and python3-torch
# (python3-threadpoolctl to name NumPy's BLAS kernel); the OpenBLAS column
# needs libopenblas-dev. Columns whose tool is missing are left empty.
#
# NumPy gets its best kernels: the OpenBLAS core-type overrides that may be
# set in the environment (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) are unset in
# the peers' commands alone, and the kernel OpenBLAS then picks is reported.
# Only if it falls back to its generic "Prescott" kernels (OpenBLAS 0.3.21
# does not know some recent CPUs) is the best one the CPU runs named for the
# peers. natmo's openblas build keeps the environment as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=${PEERS:-../shared/peers}
REPS=${REPS:-3}
SHAPES=("64 34 32 18" "256 34 128 18" "256 64 256 18")
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/figures" # lines: key value

have_openblas=0
if [ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so '; then
  have_openblas=1
fi
have_numpy=0; /usr/bin/python3 -c 'import numpy' 2>/dev/null && have_numpy=1
have_torch=0; /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

# A peer's command starts with "${peer[@]}": no OpenBLAS core-type overrides
# from the environment (or the one chosen below if OpenBLAS misdetects the CPU).
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
# numpy_kernel names the BLAS NumPy runs on and its kernel.
numpy_kernel() {
  "${peer[@]}" /usr/bin/python3 -c '
import numpy as np
try:
    import threadpoolctl
    for i in threadpoolctl.threadpool_info():
        if i.get("user_api") == "blas":
            print(i.get("internal_api"), i.get("version"), i.get("architecture")); break
    else:
        print("unknown")
except ImportError:
    print("unknown (no threadpoolctl)")
' 2>/dev/null || echo unknown
}
numpy_core="-"
if [ "$have_numpy" = 1 ]; then
  numpy_core=$(numpy_kernel)
  if [ "${numpy_core##* }" = Prescott ]; then
    core=""
    if grep -qw avx512f /proc/cpuinfo; then core=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then core=Haswell
    fi
    if [ -n "$core" ]; then
      peer+=(OPENBLAS_CORETYPE=$core)
      numpy_core="$(numpy_kernel) (OpenBLAS detected Prescott; OPENBLAS_CORETYPE=$core for the peers)"
    fi
  fi
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC')  $(getconf _NPROCESSORS_ONLN) CPUs  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')  $(go env GOVERSION)"
echo "# command: ${REPS:+REPS=$REPS }${STEPS_ONLY:+STEPS_ONLY=1 }${COT_ONLY:+COT_ONLY=1 }${SCENARIO_ONLY:+SCENARIO_ONLY=1 }scripts/bench-peers.sh"
echo "# NumPy's BLAS kernel: $numpy_core"
echo "# environment's OpenBLAS overrides (natmo's openblas build): OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# go test -bench prints "... N steps/s ... M cpusteps/s ..."; pick both.
go_rates() { awk -v k="$1" '{for (i = 2; i <= NF; i++) { if ($i == "steps/s") print k "-wall", $(i-1); if ($i == "cpusteps/s") print k "-cpu", $(i-1) }}'; }
# The peers print "... steps/s N cpusteps/s M".
peer_rates() { awk -v k="$1" '{for (i = 1; i < NF; i++) { if ($i == "steps/s") print k "-wall", $(i+1); if ($i == "cpusteps/s") print k "-cpu", $(i+1) }}'; }

only=${STEPS_ONLY:+steps}${COT_ONLY:+cot}${SCENARIO_ONLY:+scenario}
if [ -z "$only" ] || [ "$only" = steps ] || [ "$only" = cot ]; then
  go test -c -o "$tmp/pipeline.test" ./pipeline
  if [ "$have_openblas" = 1 ]; then
    go test -tags openblas -c -o "$tmp/pipeline-openblas.test" ./pipeline
  fi
fi
bench() { "$1" -test.run '^$' -test.bench "$2" -test.cpu 1 -test.benchtime 1s; }

if [ -z "$only" ] || [ "$only" = steps ]; then
  for rep in $(seq "$REPS"); do
    for s in "${SHAPES[@]}"; do
      read -r B IN H OUT <<<"$s"
      name="B${B}_IN${IN}_H${H}_OUT${OUT}"
      key="${B}x${IN}x${H}x${OUT}"
      # Enough steps for about a second per figure at each size.
      n=$((2000 * 64 * 32 * 32 / (B * H * H)))
      [ "$n" -lt 20 ] && n=20
      for kind in SupervisedStep RLStepShapes; do
        bench "$tmp/pipeline.test" "^Benchmark${kind}\$/^${name}\$" | go_rates "go-$kind-$key" >>"$out"
        if [ "$have_openblas" = 1 ]; then
          bench "$tmp/pipeline-openblas.test" "^Benchmark${kind}\$/^${name}\$" | go_rates "openblas-$kind-$key" >>"$out"
        fi
      done
      if [ "$have_openblas" = 1 ]; then
        bench "$tmp/pipeline-openblas.test" "^BenchmarkSupervisedStep\$/^${name}_allblas\$" | go_rates "allblas-SupervisedStep-$key" >>"$out"
      fi
      if [ "$have_numpy" = 1 ]; then
        "${peer[@]}" "$PEERS/numpy_step.py" $B $IN $H $OUT $n | peer_rates "numpy-$key" >>"$out"
      fi
      if [ "$have_torch" = 1 ]; then
        "$PEERS/torch_step.py" $B $IN $H $OUT $n 1 | peer_rates "torch-$key" >>"$out"
      fi
    done
  done
fi

if [ -z "$only" ] || [ "$only" = cot ]; then
  for rep in $(seq "$REPS"); do
    # The peers' step: no KL penalty, no entropy bonus, SGD.
    bench "$tmp/pipeline.test" '^BenchmarkRLStep$/^plain$' | go_rates "go-cot" >>"$out"
    if [ "$have_numpy" = 1 ]; then
      "${peer[@]}" "$PEERS/cot_rl_numpy.py" 1000 | peer_rates "numpy-cot" >>"$out"
    fi
    if [ "$have_torch" = 1 ]; then
      "$PEERS/cot_rl_torch.py" 300 | peer_rates "torch-cot" >>"$out"
    fi
  done
fi

if [ -z "$only" ] || [ "$only" = scenario ]; then
  unset OMP_NUM_THREADS MKL_NUM_THREADS
  go build -o "$tmp/natmo" ./cmd/natmo
  for rep in $(seq "$REPS"); do
    # Wall and CPU seconds of the whole command (loading, training, summary,
    # results folder with figures).
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$tmp/natmo" run emergent-misalignment --out "$tmp/em" --force --quiet >/dev/null
    read -r wall user sys <"$tmp/time"
    echo "natmo-em-wall $wall" >>"$out"
    echo "natmo-em-cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')" >>"$out"
    # The peer's work in natmo: its world, arms and about its arithmetic.
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$tmp/natmo" run testdata/persona-peer.yaml --out "$tmp/pp" --force --quiet >/dev/null
    read -r wall user sys <"$tmp/time"
    echo "natmo-pp-wall $wall" >>"$out"
    echo "natmo-pp-cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')" >>"$out"
    if [ "$have_numpy" = 1 ]; then
      # Same seeds (16) and fine-tuning steps (300) as the built-in scenario.
      /usr/bin/time -f "%e %U %S" -o "$tmp/time" "${peer[@]}" "$PEERS/persona_numpy.py" 1.0 3000 16 300 3e-3 >/dev/null
      read -r wall user sys <"$tmp/time"
      echo "persona-em-wall $wall" >>"$out"
      echo "persona-em-cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')" >>"$out"
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
reps = sys.argv[2]
def f(k, fmt="{:.0f}"):
    return fmt.format(med[k]) if k in med else "-"
def r(a, b):
    return "**{:.2f}**".format(med[a] / med[b]) if a in med and b in med else "-"
def both(k):  # "CPU rate (wall rate)"
    return f"{f(k + '-cpu')} ({f(k + '-wall')})" if k + "-cpu" in med else "-"
shapes = sorted({k.split("-")[-2] for k in med if k.startswith(("go-SupervisedStep-", "numpy-")) and "cot" not in k and "em" not in k},
                key=lambda s: [int(x) for x in s.split("x")])
if shapes:
    print(f"\nTraining step, steps per CPU second (steps per wall second), median of {reps}, single-threaded")
    print("| B×IN×H×OUT | natmo | natmo -tags openblas | same, every layer on OpenBLAS | NumPy | PyTorch | natmo / NumPy | natmo / PyTorch | openblas / NumPy | natmo RL step | RL step, -tags openblas |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in shapes:
        g, o, a = f"go-SupervisedStep-{s}", f"openblas-SupervisedStep-{s}", f"allblas-SupervisedStep-{s}"
        n, t = f"numpy-{s}", f"torch-{s}"
        print(f"| {s} | {both(g)} | {both(o)} | {both(a)} | {both(n)} | {both(t)} | {r(g+'-cpu', n+'-cpu')} | {r(g+'-cpu', t+'-cpu')} | {r(o+'-cpu', n+'-cpu')} | {both('go-RLStepShapes-'+s)} | {both('openblas-RLStepShapes-'+s)} |")
if "go-cot-cpu" in med:
    print(f"\nCot world RL step (B 256, IN 8, T 3, V 12, A 3, linear heads, SGD), steps per CPU second (per wall second), median of {reps}, single-threaded")
    print("| natmo | cot_rl_numpy.py | cot_rl_torch.py | natmo / NumPy | natmo / PyTorch |")
    print("|---|---|---|---|---|")
    print(f"| {both('go-cot')} | {both('numpy-cot')} | {both('torch-cot')} | {r('go-cot-cpu', 'numpy-cot-cpu')} | {r('go-cot-cpu', 'torch-cot-cpu')} |")
if "natmo-em-cpu" in med:
    print(f"\nScenarios against persona_numpy.py 1.0 3000 16 300 3e-3 (16 seeds, 300 fine-tuning steps), median of {reps}: CPU s (wall s)")
    print("| natmo runs | natmo | persona_numpy.py | natmo CPU / peer CPU | wall speed-up |")
    print("|---|---|---|---|---|")
    for k, what in (("em", "emergent-misalignment"), ("pp", "testdata/persona-peer.yaml")):
        n = f"natmo-{k}"
        print(f"| {what} | {f(n + '-cpu', '{:.2f}')} ({f(n + '-wall', '{:.2f}')}) | {f('persona-em-cpu', '{:.2f}')} ({f('persona-em-wall', '{:.2f}')}) | {r(n + '-cpu', 'persona-em-cpu')} | {r('persona-em-wall', n + '-wall')} |")
EOF
