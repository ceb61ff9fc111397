#!/usr/bin/env bash
# End-to-end test of natmo on a real Slurm cluster: installs Debian's
# slurm-wlm and munge if missing, starts a single-node cluster on this
# machine, runs a sweep as a job array of 4 shards with `sbatch --wait`,
# merges the shards, and checks that the merged tables equal an unsharded
# run of the same sweep byte for byte. Stops the daemons it started.
# Fails loudly (non-zero exit) when anything does not work; never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

say() { printf '[slurm-e2e] %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (Debian packages)"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null || die "apt-get install slurm-wlm munge failed"
fi
if [ "$(id -u)" -ne 0 ]; then
  die "the daemons run as root here (SlurmUser=root); run this script as root"
fi

work=$(mktemp -d /tmp/natmo-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "${SLURM_CONF:-}" ] && scontrol shutdown >/dev/null 2>&1
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  pkill -f "munged.*$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# munge: a fresh key and a daemon of our own, on our own socket.
mkdir -p "$work/munge"/{etc,run,log,lib}
dd if=/dev/urandom of="$work/munge/etc/munge.key" bs=1024 count=1 status=none
chmod 700 "$work/munge"/{etc,run,log,lib}
chmod 400 "$work/munge/etc/munge.key"
sock="$work/munge/run/munge.socket"
munged --force --key-file="$work/munge/etc/munge.key" --socket="$sock" \
  --pid-file="$work/munge/run/munged.pid" --log-file="$work/munge/log/munged.log" \
  --seed-file="$work/munge/lib/munged.seed" || die "munged did not start"
sleep 0.5
pids+=("$(cat "$work/munge/run/munged.pid")")
munge --socket="$sock" -n | unmunge --socket="$sock" >/dev/null || die "munge round trip failed"

# slurm.conf for one node: this machine.
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$work/slurm"/{state,spool,log}
export SLURM_CONF="$work/slurm/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=natmo
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/log/slurmctld.log
SlurmdLogFile=$work/slurm/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=natmo Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -i || { cat "$work/slurm/log/slurmctld.log" 2>/dev/null; die "slurmctld did not start"; }
sleep 1
pids+=("$(cat "$work/slurm/slurmctld.pid")")
slurmd || { cat "$work/slurm/log/slurmd.log" 2>/dev/null; die "slurmd did not start"; }
sleep 1
pids+=("$(cat "$work/slurm/slurmd.pid")")
for i in $(seq 1 30); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && break
  sleep 1
done
[ "$state" = "idle" ] || { sinfo; tail -20 "$work/slurm/log/slurmctld.log"; tail -20 "$work/slurm/log/slurmd.log"; die "node is '$state', not idle"; }
say "cluster up: $(sinfo -h -o '%P %D %T')"

# The sweep: 2 points × 4 seeds of a small persona scenario.
go build -o "$work/natmo" ./cmd/natmo
sweep=(sweep "$repo/testdata/sweep-small.yaml" --set seeds=4)
cat > "$work/array.sh" <<JOB
#!/usr/bin/env bash
#SBATCH --job-name=natmo-sweep
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/shard-%a.log
set -euo pipefail
"$work/natmo" ${sweep[*]} --shard auto --workers 1 -q --format svg --out "$work/shard-\$SLURM_ARRAY_TASK_ID"
JOB
say "sbatch --wait (job array of 4 shards)"
sbatch --wait "$work/array.sh" || { cat "$work"/shard-*.log; die "the job array failed"; }
for i in 0 1 2 3; do
  [ -f "$work/shard-$i/sweep.json" ] || { cat "$work/shard-$i.log"; die "shard $i wrote nothing"; }
done
"$work/natmo" merge "$work"/shard-{0,1,2,3} --out "$work/merged" --format svg || die "merge failed"
"$work/natmo" "${sweep[@]}" --out "$work/whole" -q --format svg || die "the unsharded sweep failed"
for f in metrics.csv summary.csv sweep.json; do
  cmp "$work/merged/$f" "$work/whole/$f" || die "$f: merged shards differ from the unsharded sweep"
done
say "PASS: 4 Slurm array shards merged into the unsharded bytes ($(wc -l < "$work/whole/metrics.csv") metric rows)"
