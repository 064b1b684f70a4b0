"""Actor processes kept between contention runs. Starting Python and
importing pyVmomi and an implementation took three quarters of a run's
wall time; a process that has run an actor well runs the next one
(``actor.serve``).

A process serves one implementation spec only, so that no module state of
one implementation (a mutant's patch, say) meets another. One that ended
badly, or ran past its deadline, is killed rather than kept. Each process
ends with its stdin, that is with the process that started it, however that
ends; ``close`` (also at exit) ends the idle ones at once.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..adapters.environment import child_environment

# Idle processes kept, in all: more than the actors of one run, few enough
# that a long search of many implementations keeps no crowd.
KEEP = 8


class ActorProcess:
    """One process running an actor at a time (``actor.serve``)."""

    def __init__(self, impl: str) -> None:
        self.impl = impl
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.contention.actor"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
            env=child_environment())
        self.rc: int | None = None  # of the actor it ran last
        self.log: Path | None = None

    def start(self, spec: dict[str, Any], log: Path) -> None:
        """Run the actor of ``spec``, its output to ``log``."""
        self.rc, self.log = None, log
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({**spec, "log": str(log)}) + "\n").encode())
        self.proc.stdin.flush()

    def poll(self) -> int | None:
        """The actor's exit code once it has ended (the process's own, if it
        died), else None."""
        if self.rc is None:
            assert self.proc.stdout is not None
            fd = self.proc.stdout.fileno()
            if select.select([fd], [], [], 0)[0]:
                line = self.proc.stdout.readline()
                self.rc = json.loads(line)["rc"] if line else self._died()
            elif self.proc.poll() is not None:
                self.rc = self._died()
        return self.rc

    def _died(self) -> int:
        code = self.proc.wait()
        return code if code else 1  # an answer lost: it did not end well

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def end(self) -> None:
        """End an idle process: its stdin closed, it exits."""
        self._close_pipes()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None and not pipe.closed:
                with contextlib.suppress(BrokenPipeError):  # it is gone already
                    pipe.close()


def wait(processes: list[ActorProcess], timeout: float) -> None:
    """Until one of ``processes`` still running answers or dies, or for
    ``timeout`` seconds."""
    running = [p.proc.stdout.fileno() for p in processes
               if p.rc is None and p.proc.stdout is not None]
    if running:
        select.select(running, [], [], timeout)


class ActorPool:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.idle: list[ActorProcess] = []
        self.started = 0  # processes started, in all

    def take(self, impl: str) -> ActorProcess:
        """An idle process of ``impl``, or a new one."""
        for i, process in enumerate(self.idle):
            if process.impl == impl and process.proc.poll() is None:
                return self.idle.pop(i)
        self.started += 1
        return ActorProcess(impl)

    def give_back(self, process: ActorProcess) -> None:
        """Keep ``process`` if its actor ended well, else kill it."""
        if process.poll() != 0 or process.proc.poll() is not None:
            process.kill()
            return
        self.idle.append(process)
        while len(self.idle) > self.keep:
            self.idle.pop(0).end()  # the longest idle

    def close(self) -> None:
        while self.idle:
            self.idle.pop().end()


POOL = ActorPool()
atexit.register(POOL.close)

