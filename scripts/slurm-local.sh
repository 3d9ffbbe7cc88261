#!/usr/bin/env bash
# A one-node SLURM on this machine, for the `slurm` tests and for trying the jobscripts.
#
#   scripts/slurm-local.sh up   [DIR]   start munged (unless one answers already), slurmctld and slurmd
#                                       on localhost; node `hostname -s`, 2 CPUs, partition "debug";
#                                       MpiDefault=none (like a site whose default is none, so the
#                                       jobscripts must ask for --mpi=pmix themselves); prints the
#                                       line to source: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-local.sh down [DIR]   stop only the daemons `up` started (their pid files in DIR)
#   scripts/slurm-local.sh env  [DIR]   print the export line
#
# DIR defaults to $VOXFLOW_SLURM_DIR or /tmp/voxflow-slurm. Everything (config, state, spool, logs,
# pid files) lives in DIR; nothing under /etc is changed. The packages are Debian's slurm-wlm and
# munge (scripts/setup.sh installs them). Daemons run as the calling user (root in CI: SlurmUser=root).
# Exit 1 with the daemon's log tail when the node does not come up within 60 s.
set -euo pipefail
action=${1:-}
DIR=${2:-${VOXFLOW_SLURM_DIR:-/tmp/voxflow-slurm}}
NODE=$(hostname -s)
CPUS=${VOXFLOW_SLURM_CPUS:-2}
# ports chosen away from the defaults (6817/6818) so a site's own SLURM is never contacted
CTLD_PORT=${VOXFLOW_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${VOXFLOW_SLURM_SLURMD_PORT:-16818}
SBIN=/usr/sbin

die() { echo "slurm-local: $*" >&2; exit 1; }

stop_pidfile() {  # stop_pidfile FILE NAME: TERM, then KILL after 10 s, the process in FILE only
  local f=$1 name=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "slurm-local: $name ($pid) did not stop; KILL"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$f"
}

case "$action" in
  env)
    echo "export SLURM_CONF=$DIR/slurm.conf"
    exit 0 ;;
  down)
    stop_pidfile "$DIR/slurmd.pid" slurmd
    stop_pidfile "$DIR/slurmctld.pid" slurmctld
    stop_pidfile "$DIR/munged.pid" munged
    exit 0 ;;
  up) ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac

for b in munged slurmctld slurmd; do [ -x "$SBIN/$b" ] || die "$SBIN/$b missing: install Debian's slurm-wlm and munge (scripts/setup.sh)"; done
mkdir -p "$DIR"/{state,spool,log,tmp}
chmod 755 "$DIR"

# ---- munge: reuse a running munged (e.g. the machine's own), else start one with its own key ----
if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  echo "slurm-local: munged already answers; using it"
else
  [ -f /etc/munge/munge.key ] || die "/etc/munge/munge.key missing (Debian's munge package creates it)"
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  # munged refuses keys and folders it considers insecure; make them as it wants them
  chown -R "$(id -u)" /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  chmod 700 /etc/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  chmod 755 /run/munge
  chmod 400 /etc/munge/munge.key 2>/dev/null || true
  "$SBIN/munged" --force --pid-file="$DIR/munged.pid.tmp" --log-file="$DIR/log/munged.log" \
    || die "munged did not start: $(tail -3 "$DIR/log/munged.log" 2>/dev/null)"
  for _ in $(seq 50); do [ -s "$DIR/munged.pid.tmp" ] && break; sleep 0.1; done
  mv "$DIR/munged.pid.tmp" "$DIR/munged.pid"
  munge -n </dev/null | unmunge >/dev/null || die "munged started but does not answer"
fi

# ---- slurm.conf -------------------------------------------------------------------------------
mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
user=$(id -un)
cat > "$DIR/slurm.conf" <<EOF
# written by scripts/slurm-local.sh: a one-node SLURM for voxflow's tests
ClusterName=voxflowtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
# the site default the issue met: no MPI plugin; the jobscripts pass --mpi=pmix themselves
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobRequeue=1
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
# the PMIx plugin's per-step folders (spmix_appdir_<uid>_<job>.<step>) go under TmpFS: in /tmp, a
# folder left by an earlier instance (job ids restart at 1) made a later step with the same id fail
# to launch ("File exists") while srun still returned 0
TmpFS=$DIR/tmp
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# quick turn-around for tests: time limits are checked often, killed jobs end fast
SlurmctldParameters=enable_configless
MessageTimeout=20
KillWait=10
OverTimeLimit=0
MinJobAge=300
InactiveLimit=0
Waittime=0
SchedulerParameters=defer_batch,sched_interval=2,bf_interval=2
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
: > "$DIR/cgroup.conf"
export SLURM_CONF=$DIR/slurm.conf

# ---- daemons ------------------------------------------------------------------------------------
stop_pidfile "$DIR/slurmd.pid" slurmd
stop_pidfile "$DIR/slurmctld.pid" slurmctld
"$SBIN/slurmctld" -i -f "$SLURM_CONF" || die "slurmctld did not start: $(tail -5 "$DIR/log/slurmctld.log" 2>/dev/null)"
"$SBIN/slurmd" -f "$SLURM_CONF" -N "$NODE" || die "slurmd did not start: $(tail -5 "$DIR/log/slurmd.log" 2>/dev/null)"
for _ in $(seq 120); do
  state=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
  case "$state" in idle|mix|alloc) break ;; esac
  sleep 0.5
done
case "$state" in
  idle|mix|alloc) ;;
  *) echo "--- slurmctld.log"; tail -20 "$DIR/log/slurmctld.log" 2>/dev/null
     echo "--- slurmd.log"; tail -20 "$DIR/log/slurmd.log" 2>/dev/null
     die "node $NODE is '${state:-unknown}' after 60 s" ;;
esac
echo "slurm-local: node $NODE up ($CPUS CPUs, partition debug) in $DIR"
echo "export SLURM_CONF=$SLURM_CONF"
