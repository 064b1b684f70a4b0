"""Actor processes kept between runs (harness/contention/pool.py), against
real processes: one that ran an actor well serves the next run of the
same implementation only; one that did not is killed; idle ones end with
``close`` and with the end of their stdin."""

from __future__ import annotations

import os
import signal

from harness.contention.pool import ActorPool
from tests.leaks import process_exists, wait_until


def _ended(process, rc: int) -> None:
    process.rc = rc  # as its answer would set it


def test_a_process_serves_its_own_implementation_only():
    pool = ActorPool()
    try:
        first = pool.take("refimpl")
        _ended(first, 0)
        pool.give_back(first)
        assert pool.take("original") is not first
        assert pool.take("refimpl") is first
        assert pool.started == 2
    finally:
        pool.close()


def test_a_process_that_did_not_end_well_is_killed():
    pool = ActorPool()
    process = pool.take("refimpl")
    _ended(process, 1)
    pool.give_back(process)
    assert pool.idle == [] and not process_exists(process.proc.pid)


def test_idle_processes_beyond_the_limit_and_at_close_end():
    pool = ActorPool(keep=1)
    a, b = pool.take("refimpl"), pool.take("refimpl")
    for p in (a, b):
        _ended(p, 0)
        pool.give_back(p)
    assert pool.idle == [b]
    wait_until(lambda: not process_exists(a.proc.pid), "the longest idle runs on")
    pool.close()
    wait_until(lambda: not process_exists(b.proc.pid), "an idle process outlived close")


def test_a_process_that_died_answers_its_exit_code():
    pool = ActorPool()
    process = pool.take("refimpl")
    os.kill(process.proc.pid, signal.SIGKILL)
    wait_until(lambda: process.poll() is not None, "no exit code")
    assert process.poll() == -signal.SIGKILL
    pool.give_back(process)
    assert pool.idle == []
