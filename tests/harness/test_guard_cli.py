"""``python -m harness.guard``: the guard on its own, as a user runs it in
front of another vSphere client, against a vCenter stand-in."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from urllib.parse import quote

import pytest
from pyVmomi import vim

from harness.vsphere.session import connect, disconnect
from sim import Endpoint

from .test_real_vcenter import SECRET, password_file, real  # noqa: F401 - real is a fixture


def upstream(real, tmp_path) -> list[str]:  # noqa: F811
    return ["--upstream", f"https://{quote(real.endpoint.username)}@{real.endpoint.netloc}/sdk",
            "--password-file", str(password_file(tmp_path))]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_guard_fences_any_client_until_told_to_stop(real, signum, tmp_path):  # noqa: F811
    guard = subprocess.Popen(
        [sys.executable, "-m", "harness.guard", *upstream(real, tmp_path),
         "--run-folder", "fenced", "--thumbprint", real.endpoint.thumbprint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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


def test_bad_arguments_exit_2_naming_them(real, tmp_path):  # noqa: F811
    fenced, secret = ["--run-folder", "f", "--insecure"], str(password_file(tmp_path))
    for args, named in (
            (["--upstream", "htps://u@h/sdk", "--password-file", secret, *fenced],
             "--upstream: the vSphere URL's scheme"),
            ([*upstream(real, tmp_path), "--run-folder", "a/../b"], "--run-folder"),
            (["--upstream", real.url, "--password-file", secret, *fenced],
             "--upstream: give the URL without its password"),
            ([*upstream(real, tmp_path)[:2], "--password-file", str(tmp_path / "none"),
              *fenced], "--password-file: password file"),
            ([*upstream(real, tmp_path)[:2], "--password-file", "/dev/null", *fenced],
             "not a regular file"),
            ([*upstream(real, tmp_path), *fenced[:2], "--thumbprint", "AB:CD"],
             "32 hex pairs")):
        done = subprocess.run([sys.executable, "-m", "harness.guard", *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and named in done.stderr, done.stderr
        assert SECRET not in done.stderr
