"""Running against a real vCenter, safely: refusals, the guard, TLS, no
credentials in the output, and nothing left behind. A simulator without the
control API (``-control=false``) stands in for the real vCenter."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

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


def password_file(folder: Path, mode: int = 0o600) -> Path:
    path = folder / "vcenter.password"
    path.write_text(SECRET + "\n")
    path.chmod(mode)
    return path


def real_vcenter(pytester, real) -> tuple[str, ...]:
    """The options naming the stand-in as a real vCenter, its password apart."""
    return (f"--vcsim-url=https://{quote(real.endpoint.username)}@{real.endpoint.netloc}/sdk",
            f"--vcsim-password-file={password_file(pytester.path)}", "--allow-real-vcenter")


def run(pytester, *args: str):
    make(pytester, one=PASSING.format(name="one", tier="must", tag="marking"),
         two=PASSING.format(name="two", tier="must", tag="marking"))
    return pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios", *args)


def test_refused_without_allow_real_vcenter(pytester, real):
    result = run(pytester, f"--vcsim-url={real.url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is not the harness's simulator*--allow-real-vcenter*"])
    assert SECRET not in result.stderr.str()


def test_a_password_on_the_command_line_is_refused(pytester, real):
    """Any process of the user's, and every user's for a command line, may read it."""
    result = run(pytester, f"--vcsim-url={real.url}", "--allow-real-vcenter", "--insecure")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*password is in --vcsim-url*--vcsim-password-file FILE*"])
    assert SECRET not in result.stderr.str()


@pytest.mark.parametrize(("mode", "named"), [(0o644, "open to others (mode 0644)"),
                                             (None, "No such file")])
def test_an_unfit_password_file_is_named(pytester, real, mode, named):
    options = real_vcenter(pytester, real)
    if mode is None:
        password_file(pytester.path).unlink()
    else:
        password_file(pytester.path, mode)
    result = run(pytester, *options, "--insecure")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--vcsim-password-file: *vcenter.password*{named}*"])


def test_tls_is_verified_by_default(pytester, real):
    result = run(pytester, *real_vcenter(pytester, real))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*CERTIFICATE_VERIFY_FAILED*pass --insecure*"])


def test_runs_below_a_run_folder_and_leaves_nothing(pytester, real):
    before = root_listing(real)
    result = run(pytester, *real_vcenter(pytester, real), "--insecure", "-v")
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
                                           *real_vcenter(pytester, real),
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
    guard = Guard(real.endpoint, "run-folder-1")
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
    guard = Guard(real.endpoint, "run-folder-1")
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


# A hostile implementation: at start it looks for the real password wherever
# a process of the user may look (the start message, its environment, the
# upstream vCenter itself. Then it quotes what it was told apart (argv[2],
# standing for whatever else it may have found): in an error reply the first
# time, on its stderr before it crashes the next. The harness's output must
# mask it.
HOSTILE = """
import json, os, sys
loot = {}
def look(name, read):
    try:
        loot[name] = read()
    except OSError as exc:
        loot[name] = f"unreadable: {exc}"
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] != "start":
        continue
    told = open(sys.argv[2]).read().strip()
    if os.path.exists(sys.argv[1]):
        sys.stderr.write(f"connecting to https://administrator%40vsphere.local:{told}@vc\\n")
        sys.exit(3)
    ppid = os.getppid()
    loot["start"] = line
    loot["own environment"] = json.dumps(dict(os.environ))
    look("parent command line", lambda: open(f"/proc/{ppid}/cmdline", "rb").read().decode())
    look("parent environment", lambda: open(f"/proc/{ppid}/environ", "rb").read().decode())
    with open(sys.argv[1], "w") as out:
        json.dump(loot, out)
    told = open(sys.argv[2]).read().strip()
    sys.stderr.write(f"connecting with {told} to https://administrator%40vsphere.local:{told}@vc\\n")
    print(json.dumps({"seq": request["seq"], "ok": False, "error": {
        "kind": "vsphere_fault", "fault": None, "message": f"login {told} refused"}}), flush=True)
    sys.exit(1)
"""


def test_a_hostile_implementation_finds_no_password_and_its_output_is_masked(pytester, real):
    script, loot = pytester.path / "hostile.py", pytester.path / "loot.json"
    script.write_text(HOSTILE)
    told = password_file(pytester.path.parent)  # not the harness's: only the peer knows it
    result = run(pytester, *real_vcenter(pytester, real), "--insecure",
                 "--impl", f"hostile=cmd:{sys.executable} {script} {loot} {told}",
                 "--junitxml", str(pytester.path / "junit.xml"),
                 "--scenario-report", str(pytester.path / "report"), "-v")
    result.assert_outcomes(failed=2)
    found = json.loads(loot.read_text())
    assert set(found) == {"start", "own environment", "parent command line",
                          "parent environment"}
    assert "vcenter.password" in found["parent command line"]  # it did look
    for where, text in found.items():
        assert SECRET not in text, where
    written = [result.stdout.str(), result.stderr.str(),
               (pytester.path / "junit.xml").read_text()]
    written += [p.read_text() for p in (pytester.path / "report").rglob("*") if p.is_file()]
    assert all(SECRET not in text for text in written)
    assert "login *** refused" in written[0] and "https://***@vc" in written[2]
