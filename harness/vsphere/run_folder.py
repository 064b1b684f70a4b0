"""The run folder: a folder at the root of each datastore that one run owns,
and the run's skeleton around it.

Entering it logs the harness in (its own session, the inspector's), and,
for a run that injects faults or latency, resets the simulator's control
API and exempts that session from what it injects. Leaving it resets the
control API again, removes the folder from every datastore and logs out.
Every run, sequential or contention, and the per-worker simulator's run
folder on a real vCenter go through it: nothing else repeats these steps.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from pyVmomi import vim

from sim import Control, ControlError, Endpoint

from .datastore import DatastoreClient
from .session import connect, cookie, disconnect

NAME_PREFIX = "ich-"
NAME_LENGTH = len(NAME_PREFIX) + 8  # of a fresh name (RunFolder.new)
_SCOPED = re.compile(r"\[([^\]]+)\] (.*)")


class RunFolder:
    """``name`` on every datastore (``datastores``, default all of them).

    ``control``: the run injects faults, latency or session expiry; ``who``
    names the run in the error when the endpoint has no control API (a real
    vCenter). ``seed`` seeds the simulator's fault probabilities and jitter.
    """

    def __init__(self, endpoint: Endpoint, name: str, *,
                 datastores: Sequence[str] | None = None, control: bool = False,
                 who: str = "this run", seed: int | None = None) -> None:
        self.endpoint, self.name = endpoint, name
        self._datastores = None if datastores is None else tuple(datastores)
        self._uses_control, self._who, self._seed = control, who, seed
        self.session: vim.ServiceInstance | None = None
        self._client: DatastoreClient | None = None
        self._control: Control | None = None

    @classmethod
    def new(cls, endpoint: Endpoint, *, parent: str = "", **options: Any) -> RunFolder:
        """A run folder of a fresh name, below ``parent`` when one is given
        (the session's run folder on a real vCenter)."""
        # Short: the name is part of every lock file name, which has a length limit.
        name = f"{NAME_PREFIX}{uuid.uuid4().hex[:NAME_LENGTH - len(NAME_PREFIX)]}"
        return cls(endpoint, f"{parent}/{name}" if parent else name, **options)

    @property
    def client(self) -> DatastoreClient:
        if self._client is None:
            raise RuntimeError("the run folder is not entered")
        return self._client

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
        self.session = connect(self.endpoint)
        try:
            self._client = DatastoreClient(self.session, self.endpoint)
            if self._uses_control:
                self._control = Control(self.endpoint)
                try:
                    self._control.reset()  # no rules or latency left from earlier runs
                except ControlError as exc:
                    raise ControlError(f"{self._who} uses faults, latency or sessions: "
                                       f"{exc}") from exc
                if self._seed is not None:
                    self._control.seed(self._seed)
                # The inspector must see the datastore as it is, faults or not.
                self._control.exempt_session(cookie(self.session))
        except BaseException:
            disconnect(self.session)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._control is not None:
                self._control.reset()
        finally:
            client = self.client
            for datastore in self._datastores or client.datastores:
                client.remove_folder(datastore, self.name)
            disconnect(self.session)

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
