"""What a launched simulator should look like, as vcsim flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import SimulatorError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class SimulatorOptions:
    """Model size, credentials, latency and tracing of a simulator.

    The defaults give one datacenter with one empty datastore (``LocalDS_0``):
    ``vms=0`` keeps the model's VM folders off the datastore the cache uses.
    ``port=0`` lets the kernel pick a free loopback port.
    """

    port: int = 0
    datacenters: int = 1
    datastores: int = 1
    vms: int = 0
    tls: bool = True
    username: str | None = None
    password: str | None = None
    delay_ms: int = 0
    method_delay: Mapping[str, int] = field(default_factory=dict)
    trace: bool = False
    extra_args: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise SimulatorError(f"port {self.port} is outside 0..65535")
        for name in ("datacenters", "datastores", "vms", "delay_ms"):
            if getattr(self, name) < 0:
                raise SimulatorError(f"{name} must be >= 0, got {getattr(self, name)}")
        if (self.username is None) != (self.password is None):
            raise SimulatorError("give both username and password, or neither")
        for method, ms in self.method_delay.items():
            if not method or "," in method or ":" in method or ms < 0:
                raise SimulatorError(f"method_delay entry {method!r}: {ms!r} is not Method: ms>=0")

    def args(self) -> list[str]:
        """vcsim command-line flags (understood by upstream vcsim too)."""
        args = [
            "-l", f"{LOOPBACK}:{self.port}",
            "-dc", str(self.datacenters),
            "-ds", str(self.datastores),
            "-vm", str(self.vms),
            f"-tls={'true' if self.tls else 'false'}",
        ]
        if self.username is not None:
            args += ["-username", self.username, "-password", str(self.password)]
        if self.delay_ms:
            args += ["-delay", str(self.delay_ms)]
        if self.method_delay:
            args += ["-method-delay", ",".join(f"{m}:{ms}" for m, ms in self.method_delay.items())]
        if self.trace:
            args.append("-trace")
        return [*args, *self.extra_args]
