"""Client of the simulator's control API (``/harness/`` on its own listener):
fault rules, latency, the call trace, sessions, schedules.

    control = sim.control                 # or Control(endpoint)
    rule = control.add_fault("FileLocked", method="DeleteDatastoreFile_Task",
                             path="[LocalDS_0] _base/img1", count=1)
    control.set_latency(default_ms=20, jitter=0.1)
    trace = control.trace()               # calls, and counts per method
    control.terminate_sessions()
    control.start_schedule(["a", "b"], seed=7)  # clients named a, b take turns

Only the harness's own simulator build answers; upstream vcsim and a real
vCenter do not (ControlError says so).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from . import build
from .endpoint import Endpoint
from .errors import SimulatorError
from .strategy import Strategy
from .transport import open_connection


def _known_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` the dataclass ``cls`` has fields for: a newer
    simulator may answer with more."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def session_digest(cookie: str) -> str:
    """The digest the trace records for the session with this cookie value
    (or ``vmware_soap_session=...`` header)."""
    match = re.search(r"vmware_soap_session=\"?([^\";]+)", cookie)
    value = match.group(1) if match else cookie
    return hashlib.sha256(value.encode()).hexdigest()[:12]


class ControlError(SimulatorError):
    """The control API refused a request, or there is none at the endpoint."""


@dataclass(frozen=True)
class Call:
    """One SOAP call as the simulator recorded it."""

    id: int
    method: str
    this: str
    client: str
    start_ns: int  # monotonic, since the simulator started
    end_ns: int
    start_unix_ns: int  # wall clock; a schedule's virtual clock while one runs
    end_unix_ns: int
    outcome: str  # "ok", a fault name, or "dropped"
    path: str = ""  # the datastore path argument, if any
    session: str = ""  # a digest of the session cookie
    injected: str = ""  # the fault a harness rule injected
    rule: int = 0
    exempt: bool = False  # from an exempt session (an observer): no rule counts it
    applied_unix_ns: int = 0  # when it took effect, if before its end (a slow answer)
    actor: str = ""  # the contention actor that made it (its X-Ich-Actor header), if any

    @property
    def effect_unix_ns(self) -> int:
        """By when the call had taken effect."""
        return self.applied_unix_ns or self.end_unix_ns

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Call:
        return cls(**_known_fields(cls, data))


@dataclass(frozen=True)
class Trace:
    calls: list[Call]
    counts: Counter[str]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


@dataclass(frozen=True)
class Choice:
    """One step of a schedule: the actor that went and the actors enabled
    then (indexes into the schedule's actors); under ``switches`` and
    ``preemptions``, the preemption point it was (from 1; 0: none)."""

    actor: int
    enabled: tuple[int, ...]
    point: int = 0


@dataclass(frozen=True)
class ScheduleStatus:
    """Where a schedule stands: steps taken, actors that stalled (ran past
    the quiet time without a scheduling point: the order is then no longer
    the seed's alone), the virtual clock, a digest of the order, the
    switches it was given that it could not take, and each step's choice."""

    active: bool
    steps: int
    stalls: int
    joined: int
    now_unix_ns: int
    digest: str
    missed: int = 0
    choices: tuple[Choice, ...] = ()

    @property
    def exact(self) -> bool:
        """The order is the seed's and the strategy's alone: no stall. (A
        missed switch is no stall: the run went on as if it were not
        named, and does so in every replay.)"""
        return not self.stalls

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScheduleStatus:
        known = _known_fields(cls, data)
        known["choices"] = tuple(Choice(c["actor"], tuple(c.get("enabled") or ()),
                                        c.get("point", 0))
                                 for c in known.get("choices") or ())
        return cls(**known)


# What GET /harness/info answers (sim/vcsim/control.go).
INFO_KEYS = frozenset({"fidelity", "seed", "govmomi", "faults"})


class Control:
    def __init__(self, endpoint: Endpoint, timeout: float = 30.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        # One connection kept open: a TLS handshake costs more than a request.
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _request(self, method: str, path: str, body: Any = None, exact: bool = False) -> Any:
        """The JSON answer; ``exact``: only a 200 will do (not a redirect, say)."""
        with self._lock:
            response, raw = self._exchange(method, path, body)
        return self._answer(method, path, response, raw, exact)

    def _exchange(self, method: str, path: str, body: Any
                  ) -> tuple[http.client.HTTPResponse, bytes]:
        while True:
            reused = self._conn is not None
            conn = self._conn or open_connection(self.endpoint, self.timeout)
            self._conn = None
            try:
                conn.request(method, f"/harness/{path}",
                             body=None if body is None else json.dumps(body),
                             headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.BadStatusLine) as exc:
                conn.close()
                if reused:
                    continue  # the server closed a kept connection: the request never ran
                raise ControlError(f"control API at {self.endpoint.base_url}: {exc}") from exc
            except OSError as exc:
                conn.close()
                raise ControlError(f"control API at {self.endpoint.base_url}: {exc}") from exc
            if response.will_close:
                conn.close()
            else:
                self._conn = conn
            return response, raw

    def _answer(self, method: str, path: str, response: http.client.HTTPResponse, raw: bytes,
                exact: bool) -> Any:
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if response.status == 404 and not isinstance(data, dict | list):
            raise ControlError(f"{self.endpoint.base_url} has no harness control API (upstream "
                               "vcsim or a real vCenter?); it needs the harness's simulator build")
        if response.status >= 400 or (exact and response.status != 200):
            message = data.get("error") if isinstance(data, dict) else raw[:200]
            raise ControlError(f"{method} /harness/{path}: HTTP {response.status}: {message}")
        return data

    def info(self) -> dict[str, Any]:
        return self._request("GET", "info")

    def is_harness_simulator(self) -> bool:
        """Whether the endpoint proves to be the harness's simulator: TLS with
        the certificate whose thumbprint it printed at its start (any server
        can copy an answer, none the key behind it), and ``GET /harness/info``
        answered exactly as this version does (200, those keys, this govmomi)."""
        if self.endpoint.scheme != "https" or not self.endpoint.thumbprint:
            return False
        try:
            info = self._request("GET", "info", exact=True)
        except ControlError:
            return False
        return isinstance(info, dict) and set(info) == INFO_KEYS and \
            info["govmomi"] == build.govmomi_version()

    # -- faults --------------------------------------------------------------

    def add_fault(self, fault: str, *, method: str | None = None, path: str | None = None,
                  count: int = 0, skip: int = 0, probability: float | None = None,
                  delay_ms: int = 0, sync: bool = False, message: str | None = None
                  ) -> dict[str, Any]:
        """Add a rule; calls matching ``method`` and the datastore ``path`` glob
        (``*`` matches anything) get ``fault``. Returns the rule with its id."""
        rule: dict[str, Any] = {"fault": fault}
        for key, value in (("method", method), ("path", path), ("count", count),
                           ("skip", skip), ("probability", probability),
                           ("delay_ms", delay_ms), ("sync", sync), ("message", message)):
            if value:
                rule[key] = value
        return self._request("POST", "faults", rule)

    def fault_kinds(self) -> list[dict[str, Any]]:
        """The simulator's own table of fault kinds (``sim.faults`` mirrors it)."""
        return self._request("GET", "fault-kinds")

    def faults(self) -> list[dict[str, Any]]:
        return self._request("GET", "faults")

    def remove_fault(self, rule_id: int) -> None:
        self._request("DELETE", f"faults/{rule_id}")

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def seed(self, seed: int) -> None:
        """Reseed fault probabilities and latency jitter."""
        self._request("PUT", "seed", {"seed": seed})

    # -- latency ---------------------------------------------------------------

    def latency(self) -> dict[str, Any]:
        return self._request("GET", "latency")

    def set_latency(self, default_ms: int = 0, methods: Mapping[str, int] | None = None,
                    jitter: float = 0.0) -> dict[str, Any]:
        return self._request("PUT", "latency", {"default_ms": default_ms,
                                                "methods": dict(methods or {}),
                                                "jitter": jitter})

    # -- trace and sessions -----------------------------------------------------

    def trace(self, since: int = 0) -> Trace:
        """Finished calls with an id above ``since``, and counts per method."""
        data = self._request("GET", f"trace?since={int(since)}")
        return Trace([Call.from_json(c) for c in data["calls"]], Counter(data["counts"]))

    def reset_trace(self) -> None:
        self._request("DELETE", "trace")

    def terminate_sessions(self) -> int:
        """End every session now; clients get NotAuthenticated. Returns how many."""
        return self._request("POST", "sessions/terminate")["terminated"]

    def exempt_session(self, cookie: str) -> None:
        """Never fault, delay or end the session with this cookie value (or a
        ``vmware_soap_session=...`` header): for an observer such as the
        harness's own datastore inspector."""
        self._request("POST", "sessions/exempt", {"session": session_digest(cookie)})

    # -- schedules ------------------------------------------------------------

    def start_schedule(self, actors: list[str], *, seed: int, epoch_unix_ns: int = 0,
                       quiet_ms: int = 0, strategy: Strategy | None = None) -> ScheduleStatus:
        """Run the named actors one at a time on a virtual clock starting at
        ``epoch_unix_ns`` (0: now), in an order that follows ``strategy`` and
        ``seed`` only. An actor names itself in the ``X-Ich-Actor`` header of
        its SOAP calls and joins, sleeps and leaves through
        ``/harness/schedule/*`` (see README.md, "schedules"). Zero means the
        simulator's default."""
        config = {"actors": list(actors), "seed": seed, "epoch_unix_ns": epoch_unix_ns,
                  "quiet_ms": quiet_ms, **(strategy or Strategy()).config()}
        return ScheduleStatus.from_json(self._request("PUT", "schedule", config))

    def schedule(self) -> ScheduleStatus:
        return ScheduleStatus.from_json(self._request("GET", "schedule"))

    def stop_schedule(self) -> ScheduleStatus:
        """End the schedule (parked actors go on, unscheduled); its last status."""
        return ScheduleStatus.from_json(self._request("DELETE", "schedule"))

    def reset(self) -> None:
        """No rules, no latency, empty trace, no schedule: a clean slate
        between tests (and between a search's runs: one request)."""
        self._request("POST", "reset")
