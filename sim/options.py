"""What a launched simulator should look like, as vcsim flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import SimulatorError

LOOPBACK = "127.0.0.1"
FIDELITIES = ("vcenter", "stock")


@dataclass(frozen=True)
class SimulatorOptions:
    """Model size, credentials, latency and tracing of a simulator.

    The defaults give one datacenter with one empty datastore (``LocalDS_0``):
    ``vms=0`` keeps the model's VM folders off the datastore the cache uses.
    ``port=0`` lets the kernel pick a free loopback port.
    """

    port: int = 0
    host: str = LOOPBACK  # 0.0.0.0 accepts remote clients (the control API stays loopback-only)
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
    # Harness extensions (our build only; see sim/vcsim/fidelity.go, latency.go):
    fidelity: str = "vcenter"  # or "stock": exactly upstream vcsim
    seed: int = 1  # fault probabilities and latency jitter
    latency_ms: Mapping[str, int] = field(default_factory=dict)  # "*" is the default
    latency_jitter: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise SimulatorError(f"port {self.port} is outside 0..65535")
        for name in ("datacenters", "datastores", "vms", "delay_ms"):
            if getattr(self, name) < 0:
                raise SimulatorError(f"{name} must be >= 0, got {getattr(self, name)}")
        if (self.username is None) != (self.password is None):
            raise SimulatorError("give both username and password, or neither")
        for name, delays in (("method_delay", self.method_delay),
                             ("latency_ms", self.latency_ms)):
            for method, ms in delays.items():
                if not method or "," in method or ":" in method or ms < 0:
                    raise SimulatorError(f"{name} entry {method!r}: {ms!r} is not Method: ms>=0")
        if self.fidelity not in FIDELITIES:
            raise SimulatorError(f"fidelity {self.fidelity!r} is not one of {FIDELITIES}")
        if self.latency_jitter < 0:
            raise SimulatorError(f"latency_jitter must be >= 0, got {self.latency_jitter}")

    def args(self, *, harness_flags: bool = True) -> list[str]:
        """vcsim command-line flags; without ``harness_flags`` only those
        upstream vcsim understands too (for an upstream image)."""
        args = [
            "-l", f"{self.host}:{self.port}",
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
            args += ["-method-delay", _pairs(self.method_delay)]
        if self.trace:
            args.append("-trace")
        if harness_flags:
            args += [f"-fidelity={self.fidelity}", f"-seed={self.seed}"]
            if self.latency_ms:
                args += ["-latency", _pairs(self.latency_ms)]
            if self.latency_jitter:
                args.append(f"-latency-jitter={self.latency_jitter}")
        return [*args, *self.extra_args]


def _pairs(delays: Mapping[str, int]) -> str:
    return ",".join(f"{m}:{ms}" for m, ms in delays.items())
