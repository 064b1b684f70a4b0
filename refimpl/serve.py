"""refimpl as a process speaking the harness's implementation protocol.

    python -m refimpl.serve

Requests arrive on stdin, one JSON object per line; replies go to stdout,
one per line (docs/protocol.md). Every request carries ``now``, the time
this node must use: a process cannot be reached by the harness's freezegun.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from .errors import DatastoreNotFound, ImageCacheError, InvalidArgument, VSphereFault
from .instances import Instance
from .manager import ImageCacheManager
from .session import Session, connect

PROTOCOL = 1
log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> dict[str, Any]:
    """The protocol's error object for an exception refimpl raised."""
    if isinstance(exc, InvalidArgument):
        kind, fault = "invalid_argument", None
    elif isinstance(exc, DatastoreNotFound):
        kind, fault = "not_found", None
    elif isinstance(exc, VSphereFault):
        kind, fault = "vsphere_fault", exc.fault_name
    else:
        kind, fault = "error", None
    return {"kind": kind, "fault": fault, "message": f"{type(exc).__name__}: {exc}"}


def parse_now(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class Scheduled(Protocol):
    """A seeded schedule's clock (the harness's ``sim/virtual_time.Turns``)."""

    def running(self, now: datetime) -> Callable[[], datetime]: ...


class Server:
    """``turns``: under a seeded schedule its clock, which runs on during an
    operation (docs/protocol.md, "Time"): a pass that waited for a lock
    names its mark with the time it marks at."""

    def __init__(self, turns: Scheduled | None = None) -> None:
        self.turns = turns
        self._time: Callable[[], datetime] | None = None
        self.session: Session | None = None
        self.manager: ImageCacheManager | None = None

    def clock(self) -> datetime:
        assert self._time is not None
        return self._time()

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        op = request["op"]
        if "now" in request:
            now = parse_now(request["now"])
            self._time = self.turns.running(now) if self.turns is not None else lambda: now
        if op == "start":
            if request["protocol"] != PROTOCOL:
                raise InvalidArgument(f"protocol {request['protocol']} is not {PROTOCOL}")
            node, vsphere = request["node"], request["vsphere"]
            self.session = connect(vsphere["url"], insecure=vsphere["insecure"])
            self.manager = ImageCacheManager(self.session, node["base_folder"],
                                             lock_path=node["lock_path"],
                                             age_seconds=node["age_seconds"],
                                             clock=self.clock)
            return {"implementation": "refimpl", "version": "1"}
        if self.manager is None:
            raise InvalidArgument(f"{op!r} before 'start'")
        if op == "enlist":
            self.manager.enlist_image(request["image"], request["datastore"])
            return None
        if op == "age":
            instances = [Instance(**i) for i in request["instances"]]
            return {"summary": str(self.manager.update(instances, request["datastores"]))}
        if op == "cache_folder":
            return {"path": self.manager.get_image_cache_folder(request["datastore"],
                                                               request["image"])}
        if op == "stop":
            if self.session is not None:
                self.session.close()
            return None
        raise InvalidArgument(f"unknown op {op!r}")


def serve(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
          turns: Scheduled | None = None) -> int:
    server = Server(turns)
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)  # a malformed line is a harness bug: die loudly
        try:
            result = server.handle(request)
            reply: dict[str, Any] = {"seq": request["seq"], "ok": True, "result": result}
        except (ImageCacheError, KeyError, TypeError, ValueError) as exc:
            log.debug("request %s failed", request.get("op"), exc_info=True)
            reply = {"seq": request["seq"], "ok": False, "error": describe_error(exc)}
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()
        if request["op"] == "stop":
            return 0
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="refimpl.serve %(levelname)s %(name)s: %(message)s")
    sys.exit(serve())
