"""Any implementation, in any language, as a process speaking the protocol
(docs/protocol.md): ``--impl "cmd:<command line>"``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shlex
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .base import ImplementationBroken, ImplementationError, Instance, NodeSetup
from .environment import child_environment
from .protocol import PROTOCOL, ProtocolError, check, timestamp
from .zones import tz

log = logging.getLogger(__name__)

# Seconds to wait for a reply, by message: a runtime may start slowly, and an
# aging pass on a slow vCenter takes longer again. IMAGECACHE_HARNESS_REPLY_TIMEOUT
# sets them all; --peer-timeout KIND=SECONDS one (reply_timeouts).
OPS = ("start", "enlist", "age", "cache_folder", "stop")
_DEFAULTS = {"start": 60.0, "enlist": 120.0, "age": 300.0, "cache_folder": 120.0, "stop": 10.0}
ReplyTimeouts = Mapping[str, float]
_STDERR_LINES = 30
# Command lines whose start hung or crashed in this process, and how: their
# other scenarios fail at once with that reason instead of waiting again.
_BROKEN_AT_START: dict[tuple[str, ...], str] = {}


def reply_timeouts(given: Iterable[tuple[str, float]] = ()) -> dict[str, float]:
    """The reply timeout of each kind of message: the defaults (or
    IMAGECACHE_HARNESS_REPLY_TIMEOUT for all), then the ``given`` ones."""
    every = os.environ.get("IMAGECACHE_HARNESS_REPLY_TIMEOUT")
    timeouts = {op: float(every) if every else t for op, t in _DEFAULTS.items()}
    for op, seconds in given:
        if op not in OPS or seconds <= 0:
            raise ValueError(f"{op}={seconds}: a timeout is KIND=SECONDS with KIND one of "
                             f"{', '.join(OPS)} and SECONDS > 0")
        timeouts[op] = seconds
    return timeouts


class CommandNode:
    def __init__(self, argv: Sequence[str], setup: NodeSetup,
                 env: Mapping[str, str] | None = None,
                 timeouts: ReplyTimeouts | None = None) -> None:
        self._argv = list(argv)
        self._timeouts = dict(timeouts or reply_timeouts())
        self._setup = setup
        self._seq = 0
        self._hung = False
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self._replies: queue.Queue[str | None] = queue.Queue()
        try:
            self._proc = subprocess.Popen(
                self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, bufsize=1, start_new_session=True,
                # Bytes that are not UTF-8 reach _load (a protocol error naming
                # them), not the pump threads (which would die on them).
                encoding="utf-8", errors="surrogateescape",
                env=child_environment({**(env or {}),
                                       **({"TZ": tz(setup.zone)} if setup.zone else {})}))
        except OSError as exc:
            raise ImplementationBroken(f"cannot start {shlex.join(self._argv)}: {exc}") from exc
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        self._stderr_pump = threading.Thread(target=self._pump_stderr, daemon=True)
        self._stderr_pump.start()
        endpoint = setup.endpoint
        try:
            self._request("start", protocol=PROTOCOL,
                          vsphere={"url": endpoint.url, "insecure": endpoint.insecure},
                          node={"name": setup.name, "base_folder": setup.base_folder,
                                "lock_path": str(setup.lock_path),
                                "age_seconds": setup.age_seconds})
        except ImplementationBroken as exc:
            if self._hung or self._proc.poll() is not None:
                _BROKEN_AT_START[tuple(self._argv)] = str(exc)
            raise

    def _pump_stdout(self) -> None:
        for line in self._proc.stdout:
            self._replies.put(line)
        self._replies.put(None)

    def _pump_stderr(self) -> None:
        for line in self._proc.stderr:
            self._stderr.append(_shown(line.rstrip("\n")))

    def _broken(self, what: str) -> ImplementationBroken:
        if self._proc.poll() is not None:
            self._stderr_pump.join(timeout=2)  # its last words
        tail = "\n".join(self._stderr) or "(nothing)"
        return ImplementationBroken(f"{shlex.join(self._argv)}: {what}\n"
                                    f"--- its stderr (tail) ---\n{tail}")

    def _request(self, op: str, **fields: Any) -> Any:
        self._seq += 1
        message = {"seq": self._seq, "op": op, **fields}
        if op != "stop":
            message["now"] = timestamp(self._setup.clock())
        check("request", message)
        try:
            self._proc.stdin.write(_json(message) + "\n")
            self._proc.stdin.flush()
        except OSError:
            raise self._broken(f"exited (code {self._proc.wait()}) before {op!r}") from None
        timeout = self._timeouts[op]
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            self._hung = True
            self._kill()
            raise self._broken(f"hung: no reply to {op!r} within {timeout:g} s (--peer-timeout "
                               f"{op}=SECONDS)") from None
        if line is None:
            raise self._broken(f"crashed (exit code {self._proc.wait()}) during {op!r}")
        try:
            reply = _load(line)
            check("reply", reply)
            if reply["seq"] != self._seq:
                raise ProtocolError(f"reply seq {reply['seq']}, expected {self._seq}")
        except ProtocolError as exc:
            self._kill()
            raise self._broken(f"broke the protocol answering {op!r}: {exc}") from None
        if not reply["ok"]:
            error = reply["error"]
            raise ImplementationError(error["kind"] if error["kind"] != "protocol" else "error",
                                      error["message"], error.get("fault"))
        return reply.get("result")

    def enlist(self, datastore: str, image_id: str) -> None:
        self._request("enlist", datastore=datastore, image=image_id)

    def age(self, instances: Sequence[Instance], datastores: Sequence[str]) -> str | None:
        result = self._request("age", datastores=list(datastores), instances=[
            {"uuid": i.uuid, "name": i.name, "host": i.host, "image_ref": i.image_ref,
             "kernel_id": i.kernel_id, "ramdisk_id": i.ramdisk_id} for i in instances])
        return (result or {}).get("summary")

    def cache_folder(self, datastore: str, image_id: str) -> str:
        return self._request("cache_folder", datastore=datastore, image=image_id)["path"]

    def close(self) -> None:
        if self._proc.poll() is None:
            with contextlib.suppress(ImplementationBroken, ImplementationError):
                self._request("stop")
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._kill()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, 9)
        self._proc.wait()


class CommandImplementation:
    """``cmd:<command line>``: one process per scenario node."""

    zoned = True  # its process takes the node's zone from its environment

    def __init__(self, command: str, name: str | None = None,
                 env: Mapping[str, str] | None = None, model: str | None = None,
                 timeouts: ReplyTimeouts | None = None) -> None:
        self.argv = shlex.split(command)
        self.timeouts = dict(timeouts or reply_timeouts())
        if not self.argv:
            raise ValueError("cmd: needs a command line, e.g. cmd:python -m refimpl.serve")
        self.name = name or f"cmd:{command}"
        self.env = dict(env or {})
        self.model = model

    def open_node(self, setup: NodeSetup) -> CommandNode:
        earlier = _BROKEN_AT_START.get(tuple(self.argv))
        if earlier is not None:
            raise ImplementationBroken(f"not started again: at an earlier start, {earlier}")
        return CommandNode(self.argv, setup, self.env, self.timeouts)


def _json(message: dict[str, Any]) -> str:
    return json.dumps(message)


def _shown(text: str) -> str:
    """``text`` with the bytes that were not UTF-8 as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _load(line: str) -> dict[str, Any]:
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        raw = line.encode("utf-8", "surrogateescape")
        offset = len(line[:exc.start].encode("utf-8", "surrogateescape"))
        raise ProtocolError(f"not UTF-8 (byte 0x{raw[offset]:02x} at offset {offset}): "
                            f"{_shown(line)[:200]!r}") from None
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {line[:200]!r} ({exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"not a JSON object: {line[:200]!r}")
    return data
