"""The run folder: a folder at the root of each datastore that one run owns,
and the run's skeleton around it.

Entering it logs the harness in (its own session, the inspector's) unless
it is given a ``Login`` to share (a search's, kept across its runs), and,
for a run that injects faults or latency, resets the simulator's control
API and exempts that session from what it injects. Where the run's
datastores lie on this host (the process simulator) the folder is made
there and ``files`` are its ``LocalFiles``; else ``files`` is the session's
``DatastoreClient`` and the layout makes the folder.
Leaving it resets the control API again, removes the folder from every
datastore and logs out of a login of its own. Every run, sequential or
contention, and the per-worker simulator's run folder on a real vCenter go
through it: nothing else repeats these steps.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pyVmomi import vim

from sim import Control, ControlError, Endpoint

from .datastore import DatastoreClient, Files
from .local import LocalFiles
from .login import Login

NAME_PREFIX = "ich-"
NAME_LENGTH = len(NAME_PREFIX) + 8  # of a fresh name (RunFolder.new)
_SCOPED = re.compile(r"\[([^\]]+)\] (.*)")


class RunFolder:
    """``name`` on every datastore (``datastores``, default all of them).

    ``control``: the run injects faults, latency or session expiry; ``who``
    names the run in the error when the endpoint has no control API (a real
    vCenter). ``seed`` seeds the simulator's fault probabilities and jitter.
    ``login``: a login to use and leave open, rather than one of its own.
    """

    def __init__(self, endpoint: Endpoint, name: str, *,
                 datastores: Sequence[str] | None = None, control: bool = False,
                 who: str = "this run", seed: int | None = None,
                 login: Login | None = None) -> None:
        self.endpoint, self.name = endpoint, name
        self._datastores = None if datastores is None else tuple(datastores)
        self._uses_control, self._who, self._seed = control, who, seed
        self._shared = login
        self._login: Login | None = None
        self._control: Control | None = None
        self._files: Files | None = None

    @classmethod
    def new(cls, endpoint: Endpoint, *, parent: str = "", **options: Any) -> RunFolder:
        """A run folder of a fresh name, below ``parent`` when one is given
        (the session's run folder on a real vCenter)."""
        # Short: the name is part of every lock file name, which has a length limit.
        name = f"{NAME_PREFIX}{uuid.uuid4().hex[:NAME_LENGTH - len(NAME_PREFIX)]}"
        return cls(endpoint, f"{parent}/{name}" if parent else name, **options)

    @property
    def session(self) -> vim.ServiceInstance:
        return self._entered().session

    @property
    def client(self) -> DatastoreClient:
        """The harness's own vSphere client (what a spawn's fetch goes through)."""
        return self._entered().client

    @property
    def files(self) -> Files:
        """Where the harness lays out and reads the run's cache: the folder's
        local files when it lies on this host, else ``client``."""
        if self._files is None:
            raise RuntimeError("the run folder is not entered")
        return self._files

    def _entered(self) -> Login:
        if self._login is None:
            raise RuntimeError("the run folder is not entered")
        return self._login

    @property
    def controlled(self) -> bool:
        """Whether the run uses the control API (faults, latency, the trace)."""
        return self._control is not None

    @property
    def control(self) -> Control:
        if self._control is None:
            raise RuntimeError("this run folder was opened without control")
        return self._control

    def __enter__(self) -> RunFolder:
        login = self._login = self._shared or Login(self.endpoint)
        try:
            if self._uses_control:
                try:
                    control = login.control()
                    control.reset()  # no rules or latency left from earlier runs
                except ControlError as exc:
                    raise ControlError(f"{self._who} uses faults, latency or sessions: "
                                       f"{exc}") from exc
                if self._seed is not None:
                    control.seed(self._seed)
                self._control = control
            self._files = self._local() or login.client
        except BaseException:
            self._leave()
            raise
        return self

    def _here(self) -> list[str]:
        """The run's datastores that exist."""
        known = self._entered().client.datastores
        return [ds for ds in self._datastores or known if ds in known]

    def _local(self) -> LocalFiles | None:
        """The folder's local files, made, if every datastore of the run lies
        on this host (``Login.local_root``)."""
        login = self._entered()
        roots = {ds: login.local_root(ds, self.name) for ds in self._here()}
        if not roots or None in roots.values():
            return None
        files = LocalFiles(cast(dict[str, Path], roots), self.name, login.client.datastores)
        for datastore in roots:
            files.mkdir(datastore, self.name, exist_ok=True)
        return files

    def __exit__(self, *exc_info: object) -> None:
        self._leave()

    def _leave(self) -> None:
        login = self._entered()
        try:
            if self._control is not None:
                self._control.reset()
        finally:
            files = self._files or login.client
            for datastore in self._here():
                files.remove_folder(datastore, self.name)
            if self._shared is None:
                login.close()
            self._login = self._control = self._files = None

    def path(self, *parts: str) -> str:
        """A path below this folder, relative to the datastore's root."""
        return "/".join((self.name, *parts))

    def scoped(self, path: str) -> str:
        """A run's ``[ds] rest`` as it lies on the datastore: below this folder."""
        match = _SCOPED.fullmatch(path)
        return f"[{match.group(1)}] {self.path(match.group(2))}" if match else path

    def add_fault(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Add a fault rule whose ``path``, if any, is relative to this folder."""
        if "path" in rule:
            rule = {**rule, "path": self.scoped(rule["path"])}
        return self.control.add_fault(**rule)
