"""``python -m sim up / status / down / ps`` from a shell's point of view."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.vsphere.session import connect, disconnect
from sim import Control, Endpoint, EndpointError
from sim.readiness import probe

ROOT = Path(__file__).resolve().parent.parent


def sim_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def name(request):
    """A name of our own, so a user's `sim up` simulator is left alone."""
    name = f"test-{os.getpid()}-{request.node.name}".replace("[", "-").replace("]", "")
    yield name
    sim_cli("down", "--name", name)


def test_up_status_down(backend, name):
    up = sim_cli("up", "--name", name, "--backend", backend)
    assert up.returncode == 0, up.stderr
    env = dict(re.findall(r"^export (\w+)='?([^'\n]*)'?$", up.stdout, re.MULTILINE))
    assert env["GOVC_INSECURE"] == "1"
    assert env["GOVC_URL"] == env["VCSIM_URL"]
    endpoint = Endpoint.from_url(env["VCSIM_URL"], thumbprint=env["VCSIM_THUMBPRINT"])
    disconnect(connect(endpoint))  # usable after the CLI has exited
    assert Control(endpoint).is_harness_simulator()  # the thumbprint printed proves it

    again = sim_cli("up", "--name", name, "--backend", backend)
    assert again.returncode == 1
    assert f"detached simulator {name!r} already runs" in again.stderr

    status = sim_cli("status", "--name", name)
    assert status.returncode == 0
    assert f"{name}: {backend} " in status.stdout
    assert f"answers at {endpoint.redacted()}" in status.stdout

    assert f"detached={name}" in sim_cli("ps").stdout

    down = sim_cli("down", "--name", name)
    assert down.returncode == 0 and f"stopped {backend} simulator {name!r}" in down.stdout
    gone = sim_cli("status", "--name", name)
    assert gone.returncode == 3 and f"detached simulator {name!r} does not run" in gone.stdout
    with pytest.raises(EndpointError):
        probe(endpoint, timeout=1)


def test_build_prints_the_binary():
    out = sim_cli("build")
    assert out.returncode == 0
    assert Path(out.stdout.strip()).name == "vcsim"


def test_errors_are_one_line_without_traceback():
    out = sim_cli("up", "--backend", "process", "--port", "99999")
    assert out.returncode == 1
    assert out.stderr.strip() == "error: port 99999 is outside 0..65535"


def test_control_commands(name):
    up = sim_cli("up", "--name", name, "--backend", "process")
    assert up.returncode == 0, up.stderr
    target = ("--name", name)
    added = sim_cli("fault", "add", *target, "--fault", "FileLocked", "--method",
                    "DeleteDatastoreFile_Task", "--path", "[LocalDS_0] *", "--count", "2")
    assert added.returncode == 0, added.stderr
    rule = json.loads(added.stdout)
    assert (rule["fault"], rule["count"], rule["hits"]) == ("FileLocked", 2, 0)
    listed = sim_cli("fault", "list", *target).stdout.splitlines()
    assert [json.loads(line)["id"] for line in listed] == [rule["id"]]
    assert sim_cli("fault", "rm", *target, str(rule["id"])).returncode == 0
    assert sim_cli("fault", "list", *target).stdout == ""
    assert json.loads(sim_cli("latency", *target, "--method", "Login=5").stdout)["methods"] == {
        "Login": 5}
    counts = sim_cli("trace", *target, "--counts").stdout
    assert "RetrieveServiceContent" in counts
    assert sim_cli("sessions", *target, "terminate").stdout.startswith("terminated ")
    bad = sim_cli("fault", "add", *target, "--fault", "FileLocked", "--probability", "3")
    assert bad.returncode == 1 and "probability must be within 0..1" in bad.stderr
    missing = sim_cli("trace", "--name", "no-such-simulator")
    assert missing.returncode == 1
    assert "detached simulator 'no-such-simulator' does not run" in missing.stderr
