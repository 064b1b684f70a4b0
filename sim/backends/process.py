"""The simulator as a local child process."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .. import build
from ..endpoint import Endpoint
from ..errors import StartError
from ..options import SimulatorOptions
from ..output import OutputBuffer
from ..ownership import MARKER_ENV, OUTPUT_FILE, WORKDIR_PREFIX, Owner, write_owner
from ..readiness import wait_until_ready

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0


class ProcessBackend:
    """Runs our vcsim build with ``-home`` set to a work directory it removes.

    Attached (the default), the simulator's stdin is a pipe we hold, with
    ``-stdinexit``: when this process dies, even by SIGKILL, the pipe closes
    and the simulator exits and removes its tree. Detached (``sim up``), it
    outlives us and writes its output to ``output.log`` in the work directory.
    """

    name = "process"

    def __init__(self, options: SimulatorOptions, owner: Owner, *,
                 binary: str | os.PathLike | None = None, insecure: bool = True) -> None:
        self._options = options
        self._owner = owner
        self._binary = binary
        self._detached = owner.detached
        self._insecure = insecure
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._output = OutputBuffer("vcsim")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def workdir(self) -> Path | None:
        """The simulator's ``-home``: owner record and datastore tree."""
        return self._workdir

    def start(self, timeout: float) -> Endpoint:
        binary = Path(self._binary) if self._binary else build.ensure_binary()
        self._workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        write_owner(self._workdir, self._owner, None)
        args = [str(binary), *self._options.args(), "-home", str(self._workdir)]
        if not self._detached:
            args.append("-stdinexit")
        try:
            self._proc = self._spawn(args)
        except OSError as exc:
            self._remove_workdir()
            raise StartError(f"cannot execute the simulator {binary}: {exc}") from exc
        write_owner(self._workdir, self._owner, self._proc.pid)
        try:
            return wait_until_ready(what=f"vcsim process {self._proc.pid}", output=self.output,
                                    running=self._running,
                                    timeout=timeout, insecure=self._insecure)
        except BaseException:
            self.stop()
            raise

    def _running(self) -> bool:
        if self._proc.poll() is None:
            return True
        self._output.join()  # drain what it printed before it died
        return False

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        assert self._workdir is not None
        env = {**os.environ, MARKER_ENV: str(self._workdir)}
        # A session of its own: a terminal's Ctrl-C reaches the harness, which
        # then stops the simulator in order, rather than both at once.
        if self._detached:
            with open(self._workdir / OUTPUT_FILE, "wb") as out:
                return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, env=env, cwd=self._workdir,
                                        start_new_session=True)
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, cwd=self._workdir,
                                start_new_session=True)
        assert proc.stdout is not None
        self._output.follow(iter(lambda: proc.stdout.read1(65536), b""))
        return proc

    def output(self) -> str:
        if self._detached and self._workdir is not None:
            try:
                return (self._workdir / OUTPUT_FILE).read_text(errors="replace")
            except OSError:
                return ""
        return self._output.text()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc.pid, proc.wait, stdin=proc.stdin)
            self._output.join()
            if proc.stdout:
                proc.stdout.close()
        self._remove_workdir()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def terminate(pid: int, wait, *, stdin=None, timeout: float = STOP_TIMEOUT) -> None:
    """Ask the simulator to exit (EOF on stdin, then SIGTERM); SIGKILL if it won't.

    ``wait(timeout=...)`` must block until ``pid`` has exited.
    """
    if stdin is not None:
        with contextlib.suppress(OSError):
            stdin.close()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        try:
            wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            log.warning("vcsim %d ignored %s for %g s", pid, sig.name, timeout)
