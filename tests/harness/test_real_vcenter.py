"""Running against a real vCenter, safely: refusals, the guard, TLS, no
credentials in the output, and nothing left behind. A simulator without the
control API (``-control=false``) stands in for the real vCenter."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from harness.vsphere.datastore import DatastoreClient
from harness.vsphere.guard import Guard, below
from harness.vsphere.session import connect, cookie, disconnect, wait_for_task
from sim import Simulator

from .test_collection import PASSING, make

SECRET = "pw-S3CRET-9d1f"


@pytest.fixture(scope="module")
def real():
    """A vCenter stand-in: no harness control API, credentials required."""
    with Simulator("process", username="administrator@vsphere.local", password=SECRET,
                   extra_args=["-control=false"]) as sim:
        yield sim


def root_listing(real) -> list[str]:
    si = connect(real.endpoint)
    try:
        entries = DatastoreClient(si, real.endpoint).tree("LocalDS_0", "") or []
        return sorted(e.path for e in entries if "/" not in e.path)
    finally:
        disconnect(si)


def run(pytester, real, *args: str):
    make(pytester, one=PASSING.format(name="one", tier="must", tag="marking"),
         two=PASSING.format(name="two", tier="must", tag="marking"))
    return pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios",
                                         f"--vcsim-url={real.url}", *args)


def test_refused_without_allow_real_vcenter(pytester, real):
    result = run(pytester, real)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is not the harness's simulator (it has no control API)*"
                                 "--allow-real-vcenter*"])


def test_tls_is_verified_by_default(pytester, real):
    result = run(pytester, real, "--allow-real-vcenter")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*CERTIFICATE_VERIFY_FAILED*pass --insecure*"])


def test_runs_below_a_run_folder_and_leaves_nothing(pytester, real):
    before = root_listing(real)
    result = run(pytester, real, "--allow-real-vcenter", "--insecure", "-v")
    result.assert_outcomes(passed=2)
    assert root_listing(real) == before
    output = result.stdout.str() + result.stderr.str()
    assert SECRET not in output


def test_credentials_never_printed_on_failure(pytester, real):
    make(pytester, bad=PASSING.format(name="bad", tier="must", tag="marking").replace(
        "marks: 1", "marks: 2"),
        boom="name: boom\npurpose: p\ntier: must\nconfig: {datastores: [LocalDS_0, Nope]}\n"
             "cache: {Nope: {}}\nsteps: [{age: {}}]\n")
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios",
                                           f"--vcsim-url={real.url}", "--allow-real-vcenter",
                                           "--insecure", "--impl", "serve=cmd:python -m nothing",
                                           "--impl", "refimpl", "-v", "--showlocals")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*vSphere has no datastore 'Nope'*"])  # a long traceback
    assert SECRET not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(("path", "why"), [
    ("[ds] run-1", None), ("[ds] run-1/a/b", None), ("[ds1] run-1/x", None),
    ("[ds]run-1/x", None),
    ("[ds] run-10/x", "not below the run folder"), ("[ds] other", "not below"),
    ("[ds] run-1/../x", "'..' segment"), ("[ds] run-1/./x", "'.' or"),
    ("[ds] run-1//x", "empty"), ("[ds] run-1/x/", "empty"), ("[ds] /run-1/x", "empty"),
    ("[ds] run-1/a\\..\\..\\x", "'\\\\'"), ("[ds] run-1/%2e%2e/x", "'%'"),
    ("[ds] run-1/a\nb", "'\\n'"), ("[ds] run-1/\u00e9", "'\u00e9'"),
    ("[ds]", "empty"), ("[] run-1/x", "no datastore"), ("run-1/x", "does not start"),
    ("[ds run-1/x", "no datastore")])
def test_below_the_run_folder(path, why):
    found = below(path, "run-1")
    assert found is None if why is None else why in found, found


def test_guard_refuses_every_change_outside_the_run_folder(real):
    guard = Guard(real.endpoint, "run-folder-1", verify_tls=False)
    endpoint = guard.start()
    si = connect(endpoint)
    try:
        fm, dc = si.content.fileManager, si.content.rootFolder.childEntity[0]
        fm.MakeDirectory(name="[LocalDS_0] run-folder-1/img1", datacenter=dc,
                         createParentDirectories=True)
        with pytest.raises(vim.fault.NoPermission, match="not below the run folder"):
            fm.MakeDirectory(name="[LocalDS_0] elsewhere", datacenter=dc)
        with pytest.raises(vim.fault.NoPermission, match=r"'\.\.' segment"):
            fm.DeleteDatastoreFile_Task(name="[LocalDS_0] run-folder-1/../vmfs", datacenter=dc)
        with pytest.raises(vim.fault.NoPermission, match="CreateFolder is not a call"):
            si.content.rootFolder.CreateFolder("x")
        client = DatastoreClient(si, endpoint)
        with pytest.raises(OSError, match="HTTP 403"):
            client.put("LocalDS_0", "elsewhere.txt", b"x")
        client.put("LocalDS_0", "run-folder-1/img1/ok.txt", b"x")
        wait_for_task(si, fm.DeleteDatastoreFile_Task(name="[LocalDS_0] run-folder-1",
                                                      datacenter=dc))
        assert len(guard.refused) == 4
    finally:
        disconnect(si)
        guard.stop()


def test_the_guard_gives_out_credentials_and_sessions_of_its_own(real):
    """What a client of the guard holds opens nothing on vCenter: the real
    password is refused through the guard, the guard's session token is no
    vCenter session."""
    guard = Guard(real.endpoint, "run-folder-1", verify_tls=False)
    endpoint = guard.start()
    try:
        assert SECRET not in endpoint.url and endpoint.username != real.endpoint.username
        for username, password in ((real.endpoint.username, SECRET),
                                   (endpoint.username, SECRET),
                                   (real.endpoint.username, endpoint.password)):
            with pytest.raises(vim.fault.NoPermission, match="other credentials"):
                connect(endpoint.with_credentials(username, password))
        si = connect(endpoint)
        try:
            token = cookie(si)
            assert si.content.rootFolder.childEntity  # the token works through the guard
            direct = connect(real.endpoint)
            own = cookie(direct)
            try:
                direct._stub.cookie = token  # and is nothing to vCenter itself
                with pytest.raises(vim.fault.NotAuthenticated):
                    direct.content.sessionManager.currentSession.key  # noqa: B018
            finally:
                direct._stub.cookie = own
                disconnect(direct)
        finally:
            disconnect(si)
    finally:
        guard.stop()
