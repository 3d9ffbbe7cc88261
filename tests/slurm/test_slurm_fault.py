"""An injected error on one rank under srun (VOXFLOW_FAULT=<rank>:<stage>, the faults issue's switch)
ends the job promptly: srun --kill-on-bad-exit=1 ends the other ranks, the job fails long before
its time limit, and the log has the error line."""
import os
import tempfile
import time

from conftest import JOBSCRIPTS, run, sbatch, wait_job


def test_injected_error_ends_job_promptly(slurm):
    with tempfile.TemporaryDirectory(prefix="vf_slf_") as d:
        ph = os.path.join(d, "ph")
        r = run(["phantom", "-o", ph, "--nx", 32, "--ny", 32, "--nz", 4, "--nt", 40])
        assert r.returncode == 0, r.stderr
        out, log = os.path.join(d, "out"), os.path.join(d, "job.log")
        os.environ["VOXFLOW_FAULT"] = "1:fit"
        try:
            t0 = time.time()
            jid = sbatch(["--ntasks=2", "--time=10", f"--output={log}",
                          os.path.join(JOBSCRIPTS, "kinetics_one_scan.sbatch"), os.path.join(ph, "phantom.dcm"), out])
        finally:
            del os.environ["VOXFLOW_FAULT"]
        info = wait_job(jid, timeout=300, release_requeued=False)
        elapsed = time.time() - t0
        text = open(log).read()
        assert info["JobState"] == "FAILED", text
        assert int(info.get("Restarts", 0)) == 0, info  # an error is not requeued
        assert elapsed < 120, f"{elapsed:.0f} s: the job was not ended promptly (limit 600 s)\n{text}"
        assert "error" in text.lower(), text
