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
# On the answer to an actor's call: the virtual time it goes on at.
NOW_HEADER = "X-Ich-Now"


class NotScheduled(RuntimeError):
    """No running schedule has this actor in a state to join, sleep or
    leave: the schedule stopped (the run was cut short) or never knew the
    actor. Going on would break the seed's order."""


class Turns:
    """One actor's scheduling points, through the control API."""

    def __init__(self, url: str, actor: str, *, hold_s: float = 0.0) -> None:
        """``hold_s``: for how many real seconds the time read at a
        scheduling point stands for the clock (0: it is asked each time).
        While an actor runs, the virtual clock stands still until its next
        scheduling point, or until the schedule gives up on it as stalled
        after its quiet time: so only for a process that alone acts as the
        actor (no child making calls as it), and well under the quiet time."""
        self.url, self.actor = url, actor
        self._hold_s = hold_s
        self._monotonic = time.monotonic
        self._held: tuple[int, float] | None = None  # the clock, and until when
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
        return self._hold(now)

    def leave(self) -> None:
        if self._in_turn:
            self._in_turn = False
            self._held = None
            self._request("POST", "leave", {"actor": self.actor})

    def close(self) -> None:
        self._conn.close()

    def _hold(self, now_ns: int) -> int:
        """``now_ns`` read while this actor runs: its clock until it moves."""
        if self._hold_s and self._in_turn:
            self._held = (now_ns, self._monotonic() + self._hold_s)
        return now_ns

    def _moved(self) -> None:
        """A request of this actor's is going out: perhaps a scheduling
        point, after which the clock may have moved on."""
        self._held = None

    def sleep(self, seconds: float) -> None:
        if not self._in_turn:
            self._real_sleep(seconds)
            return
        try:
            self._hold(self._request("POST", "sleep",
                                     {"actor": self.actor, "ms": max(seconds, 0) * 1000}))
        except NotScheduled:
            if not self._child:
                raise
            # A child also serves its parent outside the turns (opening the
            # implementation before the parent joins, closing after it left).
            self._real_sleep(seconds)

    def now_ns(self) -> int:
        if self._held is not None and self._monotonic() < self._held[1]:
            return self._held[0]
        return self._hold(self._request("GET", "now"))

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

    getresponse = http.client.HTTPConnection.getresponse

    def with_actor(self, method, url, *args, **kwargs):
        turns._moved()
        putrequest(self, method, url, *args, **kwargs)
        self.putheader(HEADER, turns.actor)

    def with_clock(self, *args, **kwargs):
        response = getresponse(self, *args, **kwargs)
        stamp = response.getheader(NOW_HEADER)
        if stamp is not None:  # the answer to a call of this actor's, as it goes on
            turns._hold(int(stamp))
        return response

    http.client.HTTPConnection.putrequest = with_actor
    http.client.HTTPConnection.getresponse = with_clock
    _undo.append(lambda: setattr(http.client.HTTPConnection, "putrequest", putrequest))
    _undo.append(lambda: setattr(http.client.HTTPConnection, "getresponse", getresponse))


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
