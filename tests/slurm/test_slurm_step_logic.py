"""jobscripts/voxflow_step.sh's decisions after srun returns, without a scheduler: stand-ins for srun
(ends as told: with a finished run's files, with none, at a USR1) and scontrol (records the requeue
and ends the batch shell, as SLURM's requeue does). Exit 0 is done only with a finished run in the
output folder (summary state complete and manifest.json); otherwise the job requeues, and fails
once the restarts are spent: it never ends COMPLETED without its outputs."""
import os
import signal
import subprocess
import time

import pytest

from conftest import JOBSCRIPTS

SRUN = r"""#!/bin/bash
# stand-in srun: writes into $FAKE_OUT as FAKE_SRUN says
out=$FAKE_OUT
done_files() { printf 'command: kinetics\nstate: complete\n' > "$out/summary.yaml"; [ "${1:-}" = no_manifest ] || echo '{}' > "$out/manifest.json"; }
case "$FAKE_SRUN" in
  done) done_files; exit 0 ;;
  summary_only) done_files no_manifest; exit 0 ;;
  nothing) exit 0 ;;
  bad_input) exit 2 ;;
  until_usr1)  # voxflow at the time-limit warning: checkpoint, exit 75
    trap 'touch "$out/checkpoint.h5"; exit 75' USR1 ;;
  usr1_ends_0)  # a step that ends with 0 at the warning without having run
    trap 'exit 0' USR1 ;;
  usr1_done)  # the warning while the finished run's files are written: ignored, done
    trap 'sleep 0.5; done_files; exit 0' USR1 ;;
esac
touch "$FAKE_DIR/started"
for _ in $(seq 300); do sleep 0.1; done
exit 0
"""

SCONTROL = r"""#!/bin/bash
# stand-in scontrol: `scontrol requeue JOBID` is recorded, then the batch shell is ended (SLURM's
# requeue ends the allocation)
if [ "$1" = requeue ]; then echo "requeue $2" >> "$FAKE_DIR/requeues"; kill -TERM "$PPID"; exit 0; fi
exit 1
"""


@pytest.fixture
def fake(tmp_path):
    b = tmp_path / "bin"
    b.mkdir()
    for name, text in (("srun", SRUN), ("scontrol", SCONTROL)):
        (b / name).write_text(text)
        (b / name).chmod(0o755)
    (tmp_path / "out").mkdir()
    return tmp_path


def step(fake, mode, restarts=0, signal_at_start=None, before=""):
    """runs voxflow_step as a batch shell would (`before`: shell lines ahead of it); returns (exit
    code, log, requeue count)"""
    env = dict(os.environ, PATH=f"{fake / 'bin'}:{os.environ['PATH']}", FAKE_SRUN=mode, FAKE_DIR=str(fake),
               FAKE_OUT=str(fake / "out"), SLURM_JOB_ID="42", SLURM_RESTART_COUNT=str(restarts),
               VOXFLOW_MAX_RESTARTS="3", VOXFLOW="voxflow")
    script = f'{before}\nsource "{JOBSCRIPTS}/voxflow_step.sh"; voxflow_step "{fake / "out"}" --resume -- kinetics -o x'
    p = subprocess.Popen(["bash", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if signal_at_start:
        t0 = time.time()
        while not (fake / "started").exists():
            assert time.time() - t0 < 20, "the stand-in srun did not start"
            time.sleep(0.05)
        p.send_signal(signal_at_start)
    log, _ = p.communicate(timeout=60)
    req = fake / "requeues"
    return p.returncode, log, len(req.read_text().splitlines()) if req.exists() else 0


def test_exit_0_with_outputs_is_done(fake):
    rc, log, requeues = step(fake, "done")
    assert (rc, requeues) == (0, 0), log
    assert "srun ended with exit code 0" in log


def test_exit_0_without_outputs_requeues(fake):
    rc, log, requeues = step(fake, "nothing")
    assert requeues == 1 and rc != 0, log
    assert "exit 0 but no finished run" in log and "requeueing job 42" in log, log


def test_summary_without_manifest_is_not_done(fake):
    rc, log, requeues = step(fake, "summary_only")
    assert requeues == 1 and rc != 0, log


def test_exit_0_without_outputs_fails_when_restarts_are_spent(fake):
    rc, log, requeues = step(fake, "nothing", restarts=3)
    assert (rc, requeues) == (1, 0), log
    assert "holds no finished run" in log, log


def test_bad_input_is_not_requeued(fake):
    rc, log, requeues = step(fake, "bad_input")
    assert (rc, requeues) == (2, 0), log


def test_warning_checkpoint_requeues(fake):
    rc, log, requeues = step(fake, "until_usr1", signal_at_start=signal.SIGUSR1)
    assert requeues == 1, log
    assert "srun ended with exit code 75 (after USR1)" in log, log


def test_warning_step_ending_0_without_run_requeues(fake):
    rc, log, requeues = step(fake, "usr1_ends_0", signal_at_start=signal.SIGUSR1)
    assert requeues == 1, log


def test_warning_during_final_write_is_done(fake):
    rc, log, requeues = step(fake, "usr1_done", signal_at_start=signal.SIGUSR1)
    assert (rc, requeues) == (0, 0), log


def test_cancel_is_not_requeued(fake):
    rc, log, requeues = step(fake, "until_usr1", signal_at_start=signal.SIGTERM)
    assert requeues == 0 and rc != 0, log
    assert "(after TERM)" in log, log


def test_warning_before_the_step_requeues_without_running(fake):
    # what the sbatch scripts do first: a warning before voxflow_step's trap is noted, not fatal
    rc, log, requeues = step(fake, "done", before="trap 'VOXFLOW_EARLY_SIGNAL=USR1' USR1; kill -USR1 $$")
    assert requeues == 1 and rc != 0, log
    assert "before the run started" in log and not (fake / "out" / "summary.yaml").exists(), log
