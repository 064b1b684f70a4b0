"""An actor's side of the simulator's schedule (README: "schedules").

Under a schedule the actors take turns: an actor's SOAP calls (named by
the ``X-Ich-Actor`` header) and its sleeps are its scheduling points, and
time is the simulator's virtual clock. ``install`` makes a process an
actor: ``time.sleep`` and the polling of fasteners' file locks sleep on
the virtual clock (so an actor waiting for a lock held by a parked one
lets it go on, instead of stalling the run), and every HTTP request
carries the header. The actor's child processes (an implementation it runs
as a peer, say) inherit it through ``ICH_SCHEDULE`` and call
``install_from_env``.

The other sides of the schedule API are ``control.py`` (start, stop, status)
and ``vcsim/schedule.go`` (the scheduler). Standard library only, bar
fasteners when present: a process in another environment can load this
file by path.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

ENV = "ICH_SCHEDULE"
HEADER = "X-Ich-Actor"


class NotScheduled(RuntimeError):
    """No running schedule has this actor in a state to join, sleep or
    leave: the schedule stopped (the run was cut short) or never knew the
    actor. Going on would break the seed's order."""


class Turns:
    """One actor's scheduling points, through the control API."""

    def __init__(self, url: str, actor: str) -> None:
        self.url, self.actor = url, actor
        parts = urlsplit(url)
        if parts.scheme == "https":
            # The simulator's certificate is self-signed; the URL is loopback
            # (the control API answers loopback clients only).
            self._conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, context=ssl._create_unverified_context())
        else:
            self._conn = http.client.HTTPConnection(parts.hostname, parts.port)
        self._real_sleep = time.sleep
        self._in_turn = False  # between join and leave
        self._child = False

    @classmethod
    def from_env(cls) -> Turns | None:
        raw = os.environ.get(ENV)
        if not raw:
            return None
        spec = json.loads(raw)
        turns = cls(spec["url"], spec["actor"])
        turns._in_turn = turns._child = True
        return turns

    def env(self) -> dict[str, str]:
        """What a child process needs to act as this actor."""
        return {ENV: json.dumps({"url": self.url, "actor": self.actor})}

    def _request(self, method: str, path: str, body: dict | None = None) -> int:
        # No timeout: waiting for a turn takes as long as the others run.
        try:
            self._conn.request(method, f"/harness/schedule/{path}",
                               body=None if body is None else json.dumps(body),
                               headers={"Content-Type": "application/json"})
            response = self._conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self._conn.close()
            raise
        if response.status == 409:
            raise NotScheduled(json.loads(data).get("error", "schedule stopped"))
        if response.status != 200:
            raise RuntimeError(f"{method} /harness/schedule/{path}: HTTP {response.status}: "
                               f"{data[:200]!r}")
        return int(json.loads(data)["now_unix_ns"])

    def join(self) -> int:
        """Wait until every actor has joined and this one's turn comes;
        the virtual time then."""
        now = self._request("POST", "join", {"actor": self.actor})
        self._in_turn = True
        return now

    def leave(self) -> None:
        if self._in_turn:
            self._in_turn = False
            self._request("POST", "leave", {"actor": self.actor})

    def close(self) -> None:
        self._conn.close()

    def sleep(self, seconds: float) -> None:
        if not self._in_turn:
            self._real_sleep(seconds)
            return
        try:
            self._request("POST", "sleep", {"actor": self.actor, "ms": max(seconds, 0) * 1000})
        except NotScheduled:
            if not self._child:
                raise
            # A child also serves its parent outside the turns (opening the
            # implementation before the parent joins, closing after it left).
            self._real_sleep(seconds)

    def now_ns(self) -> int:
        return self._request("GET", "now")

    def running(self, now: datetime) -> Callable[[], datetime]:
        """The time during one operation (docs/protocol.md, "Time"): ``now``,
        and as much later as this schedule's clock runs on from here."""
        since = self.now_ns()
        return lambda: now + timedelta(microseconds=(self.now_ns() - since) / 1000)


# What install changed, to put back (a process serves run after run).
_undo: list[Callable[[], None]] = []


def install(turns: Turns) -> None:
    """Make this process the actor ``turns`` names (its children find it in
    ``Turns.env()``, which the actor exports before starting them), in
    place of any it was before."""
    uninstall()
    sleep, putrequest = time.sleep, http.client.HTTPConnection.putrequest
    time.sleep = turns.sleep
    _undo.append(lambda: setattr(time, "sleep", sleep))
    _sleep_in_file_locks(turns.sleep)

    def with_actor(self, method, url, *args, **kwargs):
        putrequest(self, method, url, *args, **kwargs)
        self.putheader(HEADER, turns.actor)

    http.client.HTTPConnection.putrequest = with_actor
    _undo.append(lambda: setattr(http.client.HTTPConnection, "putrequest", putrequest))


def uninstall() -> None:
    """This process is no actor any more: sleeps and requests are real."""
    while _undo:
        _undo.pop()()


def install_from_env() -> Turns | None:
    """In a child of an actor: act as it, if it runs under a schedule."""
    turns = Turns.from_env()
    if turns is not None:
        install(turns)
    return turns


def _sleep_in_file_locks(sleep) -> None:
    # fasteners binds time.sleep as a default argument when it is imported.
    try:
        import fasteners
    except ImportError:
        return
    for cls in (fasteners.InterProcessLock, fasteners.InterProcessReaderWriterLock):
        init = cls.__init__

        def patched(self, *args, _init=init, **kwargs):
            kwargs.setdefault("sleep_func", sleep)
            _init(self, *args, **kwargs)

        cls.__init__ = patched
        _undo.append(lambda cls=cls, init=init: setattr(cls, "__init__", init))
