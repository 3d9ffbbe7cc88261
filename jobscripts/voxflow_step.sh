# voxflow_step.sh -- sourced by the sbatch scripts beside it (bash). One function:
#
#   voxflow_step OUTDIR RESUME_ARGS_WHEN_CHECKPOINTED -- voxflow-arguments...
#
# runs  srun --kill-on-bad-exit=1 --mpi=$VOXFLOW_SRUN_MPI -c $SLURM_CPUS_PER_TASK $VOXFLOW ARGS
# in the background and waits for it, so that the batch shell's trap fires during the run:
#   - USR1 (sbatch --signal=B:USR1@SECONDS, the time-limit warning) is forwarded to the ranks,
#     which write their checkpoint and exit 75 ("checkpointed, not finished"; 130 from voxflow
#     builds before that code existed; 128 + signal, or 0 with incomplete outputs, when the warning
#     came while the ranks were starting); the job then requeues itself (scontrol requeue; the
#     sbatch scripts use --requeue --open-mode=append) unless SLURM_RESTART_COUNT has reached
#     VOXFLOW_MAX_RESTARTS (default 10), and the next allocation resumes from the checkpoint;
#   - TERM / INT (scancel, a node going down) are forwarded too, and the job is not requeued.
# Exit 0 counts as done only when OUTDIR holds a finished run (voxflow_step_complete: summary state
# complete and the run's manifest.json); otherwise (srun can end with 0 without its step having run)
# the job is requeued the same way, and fails (exit 1, with what OUTDIR holds in the log) once the
# restarts are spent: it never ends COMPLETED without its outputs.
# With --kill-on-bad-exit=1 one rank that fails ends every rank at once (not at the time limit).
# A line "voxflow-job: allocation N ..." opens each allocation's part of the log.
# Settings (environment): VOXFLOW (the binary, default `voxflow` on PATH), VOXFLOW_SRUN_MPI (the
# srun MPI plugin, default pmix: Debian's Open MPI needs it where a site's MpiDefault is none),
# VOXFLOW_MAX_RESTARTS, VOXFLOW_SRUN_EXTRA (more srun options, split on spaces).
# Returns voxflow's exit code (0 done, 2 bad input, 1 internal error or exit 0 without outputs,
# 75/130 cancelled). The log gets srun's exit code after each allocation's run.

voxflow_step_log() { echo "voxflow-job: $(date -u +%FT%TZ) $*"; }

# True when OUTDIR holds a finished run: a summary (summary.yaml, [prefix]tia_summary.yaml) whose
# state is complete and, for the commands that write one (kinetics, tia: their summaries carry a
# state), the run's manifest ([prefix]manifest.json, written last: docs/design.md "A folder never
# mixes two runs"); a summary without a state (vessel) is written only at the end and suffices.
voxflow_step_complete() {
  local f
  for f in "$1"/summary.yaml "$1"/*tia_summary.yaml; do
    [ -f "$f" ] || continue
    grep -q '^state:' "$f" || return 0
    grep -q '^state: complete' "$f" || continue
    compgen -G "$1/*manifest.json" >/dev/null && return 0
  done
  return 1
}

# What OUTDIR holds, one line for the log (why a run is not taken as finished).
voxflow_step_describe() {
  local f=$1/summary.yaml n
  [ -f "$f" ] || f=$(compgen -G "$1/*tia_summary.yaml" | head -1)
  n=$(find "$1" -maxdepth 1 2>/dev/null | wc -l)
  echo "$1: $([ -d "$1" ] && echo "$((n - 1)) entries" || echo "missing");" \
       "summary: $([ -n "$f" ] && [ -f "$f" ] && (grep -m1 '^state:' "$f" || echo 'no state') || echo none);" \
       "manifest: $(compgen -G "$1/*manifest.json" >/dev/null && echo yes || echo none);" \
       "checkpoint: $([ -f "$1/checkpoint.h5" ] && echo yes || echo none)"
}

# Requeues this job (scontrol requeue ends the allocation; the next one runs the script again and
# resumes). Uses voxflow_step's locals out, restarts, max. Returns only when the requeue failed.
voxflow_step_requeue() {
  voxflow_step_log "$1; requeueing job ${SLURM_JOB_ID:-?} (restart $((restarts + 1)) of at most $max)"
  scontrol requeue "$SLURM_JOB_ID" && sleep 60
  voxflow_step_log "scontrol requeue failed; the checkpoint stays in $out (resubmit to resume)"
}

voxflow_step() {
  local out=$1 resume=$2
  shift 2
  [ "${1:-}" = "--" ] && shift
  local restarts=${SLURM_RESTART_COUNT:-0} max=${VOXFLOW_MAX_RESTARTS:-10}
  local cpus=${SLURM_CPUS_PER_TASK:-1}
  export KOKKOS_NUM_THREADS=$cpus OMP_NUM_THREADS=$cpus OMP_PROC_BIND=${OMP_PROC_BIND:-spread} OMP_PLACES=${OMP_PLACES:-threads}
  local args=("$@")
  # a checkpoint of an interrupted run (this job's earlier allocation, or an earlier job): resume
  if [ -n "$resume" ] && [ -f "$out/checkpoint.h5" ]; then args+=("$resume"); fi
  voxflow_step_log "allocation $((restarts + 1)) of job ${SLURM_JOB_ID:-?}${SLURM_ARRAY_TASK_ID:+ (array task $SLURM_ARRAY_TASK_ID)} on ${SLURM_JOB_NODELIST:-?}:" \
    "${SLURM_NTASKS:-1} ranks x $cpus threads: ${VOXFLOW:-voxflow} ${args[*]}"
  # the warning came before the run started (the sbatch script's early trap): nothing to run now
  if [ "${VOXFLOW_EARLY_SIGNAL:-}" = USR1 ]; then
    if [ "$restarts" -lt "$max" ]; then voxflow_step_requeue "time limit near before the run started"; return 75; fi
    voxflow_step_log "time limit near before the run started, and the job was requeued $restarts times (VOXFLOW_MAX_RESTARTS=$max): giving up; resubmit to resume"
    return 75
  fi
  local extra=()
  [ -n "${VOXFLOW_SRUN_EXTRA:-}" ] && read -r -a extra <<< "$VOXFLOW_SRUN_EXTRA"
  srun --kill-on-bad-exit=1 --mpi="${VOXFLOW_SRUN_MPI:-pmix}" -c "$cpus" "${extra[@]}" "${VOXFLOW:-voxflow}" "${args[@]}" &
  local pid=$!
  # _vf_sig: the signal that reached this shell (USR1: time-limit warning; TERM/INT: cancel);
  # _vf_fired: set by the trap, so an interrupted `wait` is repeated: bash keeps the status of a
  # child that ended meanwhile, so the exit code is never lost (no kill -0 race)
  _vf_sig='' _vf_fired=0
  trap '_vf_sig=USR1; _vf_fired=1; kill -USR1 '"$pid"' 2>/dev/null' USR1
  trap '_vf_sig=TERM; _vf_fired=1; kill -TERM '"$pid"' 2>/dev/null' TERM
  trap '_vf_sig=INT; _vf_fired=1; kill -INT '"$pid"' 2>/dev/null' INT
  # a warning between the check above and the trap: forwarded now
  [ "${VOXFLOW_EARLY_SIGNAL:-}" = USR1 ] && { _vf_sig=USR1; kill -USR1 "$pid" 2>/dev/null; }
  # A trap makes `wait` return early (status > 128) while srun runs on; wait again then. A signal that
  # comes after `wait` returned srun's own status leaves that status alone (waiting again for a pid
  # already reaped would answer 127, "not a child").
  local rc w
  while :; do
    _vf_fired=0
    wait "$pid"; w=$?
    [ "$w" = 127 ] && [ -n "${rc:-}" ] && break
    rc=$w
    { [ "$_vf_fired" = 1 ] && [ "$rc" -gt 128 ]; } || break
  done
  trap - TERM INT
  trap 'VOXFLOW_EARLY_SIGNAL=USR1' USR1  # a warning from now on is noted, never the end of bash
  voxflow_step_log "srun ended with exit code $rc${_vf_sig:+ (after $_vf_sig)}"
  # Exit 0 is trusted only with a finished run in OUTDIR (voxflow_step_complete). srun can end with
  # 0 when its step never ran: the warning came while srun was still starting the ranks ("the step
  # aborted before it ran"), or the step was ended from outside. Such a run is requeued like a
  # checkpointed one (its last checkpoint stands), within VOXFLOW_MAX_RESTARTS; a job never ends
  # COMPLETED without its outputs.
  local incomplete=0 why
  if [ "$rc" = 0 ] && ! voxflow_step_complete "$out"; then
    incomplete=1
    voxflow_step_log "exit 0 but no finished run: $(voxflow_step_describe "$out")"
  fi
  # When the warning comes while srun is still starting the ranks, the ranks can also die of the
  # USR1 itself before voxflow handles it and srun ends the others (128 + signal): nothing was
  # written, the last checkpoint stands, and the job requeues as well. Errors (1, 2) and a
  # cancel (TERM/INT, scancel) are never requeued.
  if [ "$incomplete" = 1 ] || { [ "$_vf_sig" = USR1 ] && { [ "$rc" = 75 ] || [ "$rc" -ge 128 ]; }; }; then
    if [ "$_vf_sig" != TERM ] && [ "$_vf_sig" != INT ] && [ "$restarts" -lt "$max" ]; then
      if [ "$incomplete" = 1 ]; then why="ended with exit 0 but without its outputs"; else why="time limit near: checkpointed, not finished (exit $rc)"; fi
      voxflow_step_requeue "$why"
      [ "$rc" = 0 ] && rc=75
      return "$rc"
    fi
    if [ "$incomplete" = 1 ]; then
      voxflow_step_log "voxflow ended with exit 0 but $out holds no finished run (restart $restarts of at most $max${_vf_sig:+, after $_vf_sig}): failing the job; resubmit to resume"
      return 1
    fi
    voxflow_step_log "time limit near: checkpoint written, but the job was requeued $restarts times (VOXFLOW_MAX_RESTARTS=$max): giving up; resubmit to resume"
  fi
  voxflow_step_log "voxflow ended with exit code $rc${_vf_sig:+ (after $_vf_sig)}"
  return "$rc"
}
