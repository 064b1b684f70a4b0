"""Markers that tie a launched simulator to the process that launched it.

A process-backend simulator runs in a work directory named with
``WORKDIR_PREFIX`` holding ``owner.json``; a container carries the same facts
as labels. A later run compares them with the process table to find what a
crashed or SIGKILLed launcher left behind.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

WORKDIR_PREFIX = "ich-vcsim-"
TEMP_PREFIX = "ich-tmp-"  # the harness's other temporary folders (sim.cleanup)
OWNER_FILE = "owner.json"
OUTPUT_FILE = "output.log"
# Set in a simulator process's environment: its work directory. Lets the
# reaper check that a PID still belongs to that simulator before signalling it.
MARKER_ENV = "IMAGECACHE_HARNESS_SIM"

LABEL_ROLE = "imagecache-harness.role"
ROLE_VCSIM = "vcsim"
_LABEL_PREFIX = "imagecache-harness.owner."


def process_start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


@dataclass(frozen=True)
class Owner:
    """The launcher of a simulator: a process on a host.

    ``detached_name`` is set for simulators started by ``python -m sim up``,
    which outlive their launcher and are addressed by that name.
    """

    host: str
    pid: int
    start_time: int | None
    detached_name: str | None = None

    @classmethod
    def current(cls, *, detached_name: str | None = None) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, process_start_time(pid), detached_name)

    @property
    def detached(self) -> bool:
        return self.detached_name is not None

    def is_local(self) -> bool:
        return self.host == socket.gethostname()

    def alive(self) -> bool:
        """Whether the launcher still runs (same PID *and* start time)."""
        start = process_start_time(self.pid)
        return start is not None and (self.start_time is None or start == self.start_time)

    def labels(self) -> dict[str, str]:
        return {
            LABEL_ROLE: ROLE_VCSIM,
            **{_LABEL_PREFIX + k: json.dumps(v) for k, v in asdict(self).items()},
        }

    @classmethod
    def from_labels(cls, labels: dict[str, str]) -> Owner | None:
        try:
            return cls(**{k[len(_LABEL_PREFIX):]: json.loads(v)
                          for k, v in labels.items() if k.startswith(_LABEL_PREFIX)})
        except (TypeError, ValueError):
            return None


def write_owner(workdir: Path, owner: Owner, sim_pid: int | None) -> None:
    tmp = workdir / f".{OWNER_FILE}.tmp"
    tmp.write_text(json.dumps({"owner": asdict(owner), "sim_pid": sim_pid}))
    tmp.replace(workdir / OWNER_FILE)


def read_owner(workdir: Path) -> tuple[Owner, int | None] | None:
    """The owner and simulator PID recorded in ``workdir``, or None if unreadable."""
    try:
        data = json.loads((workdir / OWNER_FILE).read_text())
        return Owner(**data["owner"]), data["sim_pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pid_carries_marker(pid: int, workdir: Path) -> bool:
    """Whether ``pid`` is the simulator started in ``workdir`` (guards PID reuse)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER_ENV}={workdir}".encode() in environ.split(b"\0")
