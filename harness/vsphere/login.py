"""The harness's own login to a simulator or vCenter, with what it learns
there: its datastores, where they lie on this host, its control API.

A run folder opens one for itself and logs out when it is left. A search
runs hundreds of run folders on one simulator: it opens one login for all
of them (``RunFolder(..., login=...)``), and a run then costs its own
calls, not a login, a logout and the datastores read again.
"""

from __future__ import annotations

from pathlib import Path

from pyVmomi import vim

from sim import Control, Endpoint

from .datastore import DatastoreClient
from .session import connect, cookie, disconnect


class Login:
    """A logged-in session (``session``, ``client``) until ``close``."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.session: vim.ServiceInstance = connect(endpoint)
        try:
            self.client = DatastoreClient(self.session, endpoint)
        except BaseException:
            disconnect(self.session)
            raise
        self._control: Control | None = None
        self._roots: dict[str, Path | None] = {}

    def __enter__(self) -> Login:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
        disconnect(self.session)

    def control(self) -> Control:
        """The control API, this session exempt from what it injects (the
        inspector must see the datastore as it is, faults or not);
        ControlError where there is none (a real vCenter)."""
        if self._control is None:
            control = Control(self.endpoint)
            try:
                control.exempt_session(cookie(self.session))
            except BaseException:
                control.close()
                raise
            self._control = control
        return self._control

    def local_root(self, datastore: str, probe: str) -> Path | None:
        """The datastore's directory on this host, proven once per login: its
        URL names a directory here, and folder ``probe`` (a run folder's
        fresh name), made there through vSphere, shows up in it."""
        if datastore not in self._roots:
            root = self.client.local_path(datastore)
            if root is not None:
                self.client.mkdir(datastore, probe, exist_ok=True)
                if not root.joinpath(*probe.split("/")).is_dir():
                    root = None
            self._roots[datastore] = root
        return self._roots[datastore]
