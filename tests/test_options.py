"""Simulator options as vcsim flags (pure)."""

from __future__ import annotations

import pytest

from sim import SimulatorError
from sim.options import SimulatorOptions


def test_default_flags():
    upstream = ["-l", "127.0.0.1:0", "-dc", "1", "-ds", "1", "-vm", "0", "-tls=true"]
    assert SimulatorOptions().args(harness_flags=False) == upstream
    assert SimulatorOptions().args() == [*upstream, "-fidelity=vcenter", "-seed=1"]


def test_all_flags():
    args = SimulatorOptions(port=8989, datastores=2, vms=1, tls=False, username="u",
                            password="p", delay_ms=20,
                            method_delay={"MakeDirectory": 5, "Login": 1}, trace=True,
                            extra_args=("-cluster", "0"), fidelity="stock", seed=7,
                            latency_ms={"*": 20, "Login": 3}, latency_jitter=0.5).args()
    assert args == ["-l", "127.0.0.1:8989", "-dc", "1", "-ds", "2", "-vm", "1", "-tls=false",
                    "-username", "u", "-password", "p", "-delay", "20",
                    "-method-delay", "MakeDirectory:5,Login:1", "-trace",
                    "-fidelity=stock", "-seed=7", "-latency", "*:20,Login:3",
                    "-latency-jitter=0.5", "-cluster", "0"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"port": 70000}, "port 70000 is outside"),
    ({"datastores": -1}, "datastores must be >= 0"),
    ({"username": "u"}, "both username and password"),
    ({"method_delay": {"A:B": 1}}, "method_delay entry 'A:B'"),
    ({"method_delay": {"Login": -5}}, "method_delay entry 'Login'"),
    ({"latency_ms": {"*": -1}}, "latency_ms entry '\\*'"),
    ({"fidelity": "perfect"}, "fidelity 'perfect' is not one of"),
    ({"latency_jitter": -0.1}, "latency_jitter must be >= 0"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(SimulatorError, match=message):
        SimulatorOptions(**kwargs)
