"""A rank that fails mid-run stops the whole job with a clear error instead of a hang."""

from __future__ import annotations

import time
from collections.abc import Callable

HARD_LIMIT_S = 45  # the conftest launcher fails the test (and kills every rank) past this


def test_a_rank_raising_aborts_every_rank(mpirun: Callable) -> None:
    started = time.monotonic()
    done = mpirun(2, "failing_worker.py", "raise", timeout=HARD_LIMIT_S)
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    # The failing rank's own traceback, then gradkit's word on the abort.
    assert "rank 1 failed on purpose after step 2" in done.stderr
    assert "rank 1 of 2 failed with RuntimeError" in done.stderr
    assert "aborting all ranks (MPI_Abort)" in done.stderr  # (Open MPI may add its own notice)
    assert "rank 1 finished step 2" in done.stdout  # (rank 0 may be killed before it prints)
    assert "finished step 3" not in done.stdout
    assert elapsed < 30  # well inside the hard limit: nobody hung


def test_a_hung_rank_makes_the_others_time_out_and_abort(mpirun: Callable) -> None:
    done = mpirun(2, "failing_worker.py", "hang", timeout=HARD_LIMIT_S)
    assert done.returncode != 0
    assert "DistributedTimeoutError" in done.stderr
    assert "rank 0: all_reduce(sum)" in done.stderr
    assert "did not complete within 3 s" in done.stderr
    assert "aborting all ranks (MPI_Abort)" in done.stderr  # (Open MPI may add its own notice)
    assert "rank 0 finished step 2" in done.stdout
