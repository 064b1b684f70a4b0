"""``python -m harness.guard``: the guard on its own, as a user runs it in
front of another vSphere client, against a vCenter stand-in."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys

import pytest
from pyVmomi import vim

from harness.vsphere.session import connect, disconnect
from sim import Endpoint

from .test_real_vcenter import SECRET, real  # noqa: F401 - real is a fixture


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_guard_fences_any_client_until_told_to_stop(real, signum):  # noqa: F811
    guard = subprocess.Popen(
        [sys.executable, "-m", "harness.guard", "--upstream", real.url, "--run-folder", "fenced",
         "--insecure"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # The disposition this test relies on, whatever the test run inherited.
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL))
    try:
        line = guard.stdout.readline()
        assert line.startswith("export GUARD_URL=")
        url = shlex.split(line.removeprefix("export GUARD_URL="))[0]
        assert SECRET not in url
        si = connect(Endpoint.from_url(url))
        try:
            fm, dc = si.content.fileManager, si.content.rootFolder.childEntity[0]
            fm.MakeDirectory(name=f"[LocalDS_0] fenced/{signum.name}", datacenter=dc,
                             createParentDirectories=True)
            with pytest.raises(vim.fault.NoPermission, match="not below the run folder"):
                fm.MakeDirectory(name="[LocalDS_0] elsewhere", datacenter=dc)
        finally:
            disconnect(si)
        guard.send_signal(signum)
        assert guard.wait(timeout=10) == 0
        assert "1 call(s) refused" in guard.stderr.read()
    finally:
        guard.kill()
        guard.wait()


def test_bad_arguments_exit_2_naming_them(real):  # noqa: F811
    for args, named in ((["--upstream", "htps://u:p@h/sdk", "--run-folder", "f"], "--upstream"),
                        (["--upstream", real.url, "--run-folder", "a/../b"], "--run-folder")):
        done = subprocess.run([sys.executable, "-m", "harness.guard", *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and named in done.stderr, done.stderr
        assert SECRET not in done.stderr
