"""The implementation protocol: refimpl.serve speaks it, the harness checks
it, and broken implementations are reported without stopping the run."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import refimpl.serve
from harness.adapters import protocol
from harness.adapters.base import NodeSetup
from harness.adapters.command_adapter import CommandNode
from harness.adapters.protocol import ProtocolError, check
from sim import Endpoint

from .test_collection import PASSING, make

ROOT = Path(__file__).resolve().parents[2]
SERVE = f"cmd:{sys.executable} -m refimpl.serve"


def test_harness_refimpl_and_schema_agree_on_the_protocol_version():
    # refimpl may not import the harness: its own constant, tied here.
    schema = json.loads(protocol.SCHEMA_PATH.read_text())
    start = schema["$defs"]["start"]["properties"]["protocol"]["const"]
    assert protocol.PROTOCOL == refimpl.serve.PROTOCOL == start


def converse(vcsim, tmp_path, requests: list[dict]) -> list[dict]:
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    out = subprocess.run([sys.executable, "-m", "refimpl.serve"], input=lines, text=True,
                         capture_output=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_refimpl_serve_replies_follow_the_schema(vcsim, tmp_path):
    now = "2026-03-01T12:00:00.000000Z"
    requests = [
        {"seq": 1, "op": "start", "protocol": 1, "now": now,
         "vsphere": {"url": vcsim.url, "insecure": True},
         "node": {"name": "n1", "base_folder": f"proto-{tmp_path.name}/_base",
                  "lock_path": str(tmp_path), "age_seconds": 60}},
        {"seq": 2, "op": "enlist", "datastore": "LocalDS_0", "image": "img1", "now": now},
        {"seq": 3, "op": "enlist", "datastore": "LocalDS_0", "image": "a/b", "now": now},
        {"seq": 4, "op": "enlist", "datastore": "NoSuchDS", "image": "img1", "now": now},
        {"seq": 5, "op": "age", "datastores": ["LocalDS_0"], "now": now, "instances": [
            {"uuid": "u", "name": "vm", "host": "h", "image_ref": "img1", "kernel_id": None,
             "ramdisk_id": None}]},
        {"seq": 6, "op": "cache_folder", "datastore": "LocalDS_0", "image": "img1", "now": now},
        {"seq": 7, "op": "stop"},
    ]
    for request in requests:
        check("request", request)
    replies = converse(vcsim, tmp_path, requests)
    for reply in replies:
        check("reply", reply)
    assert [r["seq"] for r in replies] == [1, 2, 3, 4, 5, 6, 7]
    assert replies[0]["result"] == {"implementation": "refimpl", "version": "1"}
    assert replies[2]["error"]["kind"] == "invalid_argument"
    assert replies[3]["error"]["kind"] == "not_found"
    assert replies[4]["result"]["summary"].startswith("marked 0, deleted 0")
    assert replies[5]["result"]["path"] == f"[LocalDS_0] proto-{tmp_path.name}/_base/img1"


@pytest.mark.parametrize(("message", "kind", "fragment"), [
    ({"seq": 1, "op": "nap"}, "request", "is not valid under any"),
    ({"seq": 0, "op": "stop"}, "request", None),
    ({"seq": 1, "op": "enlist", "datastore": "d", "image": "i"}, "request", None),
    ({"seq": 1, "ok": True, "result": "yes"}, "reply", None),
    ({"seq": 1, "ok": False, "error": {"kind": "oops", "message": "m"}}, "reply", "oops"),
])
def test_schema_rejects_bad_messages(message, kind, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        check(kind, message)


def test_in_process_and_protocol_agree_on_the_whole_corpus(pytester):
    corpus = ROOT / "scenarios"
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "-p", "xdist", "-n", "2", "--vcsim=process", str(corpus),
        "-m", "not contention", "--impl", "refimpl", "--impl", f"serve={SERVE}",
        "--scenario-report=rep")
    results = json.loads((pytester.path / "rep" / "summary.json").read_text())
    outcomes: dict[str, dict[str, str]] = {}
    for r in results:
        outcomes.setdefault(r["impl"], {})[r["scenario"]] = r["outcome"]
    assert len(outcomes["refimpl"]) >= 40
    assert outcomes["serve"] == outcomes["refimpl"]
    assert set(outcomes["refimpl"].values()) == {"passed"}
    assert result.ret == 0


BROKEN = {
    "crash": "import sys; sys.stdin.readline(); "
             "sys.stderr.write('boom: no config\\n'); sys.exit(3)",
    "hang": "import sys, time; sys.stdin.readline(); time.sleep(60)",
    "garbage": "import sys; sys.stdin.readline(); print('hello'); sys.stdout.flush()",
    "not-utf8": "import sys; sys.stdin.readline(); sys.stderr.buffer.write(b'caf\\xe9\\n'); "
                "sys.stdout.buffer.write(b'{\"seq\": 1, \\xff}\\n'); sys.stdout.flush()",
}


@pytest.mark.parametrize(("kind", "expected"), [
    ("crash", "crashed (exit code 3) during 'start'"),
    ("hang", "hung: no reply to 'start' within 2 s"),
    ("garbage", "broke the protocol answering 'start': not JSON: 'hello"),
    ("not-utf8", "broke the protocol answering 'start': not UTF-8 (byte 0xff at offset 11)"),
])
def test_broken_implementation_is_reported_and_the_run_goes_on(pytester, monkeypatch, kind,
                                                               expected):
    """Broken at start, it is started once: the other scenarios fail at once
    with that reason (a hung peer would cost a timeout each)."""
    monkeypatch.setenv("IMAGECACHE_HARNESS_REPLY_TIMEOUT", "2")
    make(pytester, one=PASSING.format(name="one", tier="must", tag="marking"),
         two=PASSING.format(name="two", tier="must", tag="marking"))
    script = pytester.path / "broken.py"
    script.write_text(BROKEN[kind] + "\n")
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", "scenarios",
        "--impl", f"broken=cmd:{sys.executable} {script}")
    result.assert_outcomes(failed=2)  # both scenarios ran and failed
    result.stdout.fnmatch_lines([f"*the implementation broke: starting node 'node1', before "
                                 f"the step's operation: *{expected}*",
                                 f"*the implementation broke: starting node 'node1', before "
                                 f"the step's operation: not started again: at an earlier "
                                 f"start, *{expected}*"])
    if kind == "crash":
        result.stdout.fnmatch_lines(["*--- its stderr (tail) ---*", "*boom: no config"])
    if kind == "not-utf8":  # its stderr, shown as far as it can be
        result.stdout.fnmatch_lines(["*--- its stderr (tail) ---*", "*caf\ufffd"])


def test_a_timeout_per_message_kind(pytester):
    make(pytester, one=PASSING.format(name="one", tier="must", tag="marking"))
    script = pytester.path / "slow.py"
    script.write_text(BROKEN["hang"] + "\n")
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", "scenarios", "--peer-timeout", "start=1",
        "--impl", f"slow=cmd:{sys.executable} {script}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*hung: no reply to 'start' within 1 s (--peer-timeout "
                                 "start=SECONDS)*"])
    # A contention scenario's actors, each a process of its own, get it too.
    contention = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", "--peer-timeout", "start=1",
        str(ROOT / "scenarios" / "contention" / "busy-host.yaml"),
        "--impl", f"slow=cmd:{sys.executable} {script}")
    contention.assert_outcomes(failed=1)
    contention.stdout.fnmatch_lines(["*hung: no reply to 'start' within 1 s*"])
    bad = pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios",
                                        "--peer-timeout", "begin=1")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*'begin=1': KIND=SECONDS, KIND one of start, enlist, age, "
                              "cache_folder, stop*"])


def test_unknown_implementation_is_a_usage_error(pytester):
    make(pytester, one=PASSING.format(name="one", tier="must", tag="marking"))
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios",
                                           "--impl", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown implementation 'nope': use a registered name "
                                 "(nova, original, refimpl), module:factory, or cmd:*"])


def test_module_factory_and_label(pytester):
    make(pytester, one=PASSING.format(name="one", tier="must", tag="marking"))
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", "scenarios", "-v",
        "--impl", "mine=harness.adapters.refimpl_adapter:RefimplImplementation",
        "--impl", "refimpl")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*one?mine? PASSED*", "*one?refimpl? PASSED*"])


def test_protocol_doc_lists_every_message():
    doc = (ROOT / "docs" / "protocol.md").read_text()
    schema = json.loads((ROOT / "docs" / "protocol.schema.json").read_text())
    for op in ("start", "enlist", "age", "cache_folder", "stop"):
        assert f"`{op}`" in doc and op in schema["$defs"]


def test_doc_examples_validate():
    doc = (ROOT / "docs" / "protocol.md").read_text()
    examples = [line.split(" ", 1)[1] for line in doc.splitlines()
                if line.startswith(("> ", "< "))]
    assert len(examples) >= 8
    for line in examples:
        message = json.loads(line)
        check("request" if "op" in message else "reply", message)


# A peer that writes down what its process was given, and answers.
SNOOP = """
import json, os, sys
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "start":
        with open(sys.argv[1], "w") as out:
            json.dump({"env": dict(os.environ), "start": request}, out)
    result = {"implementation": "snoop", "version": "1"} if request["op"] == "start" else None
    print(json.dumps({"seq": request["seq"], "ok": True, "result": result}), flush=True)
    if request["op"] == "stop":
        break
"""


def test_an_implementation_is_not_given_the_harness_vsphere_url(tmp_path, monkeypatch):
    monkeypatch.setenv("VCSIM_URL", "https://root:S3CRET-url@vc.example:443/sdk")
    seen = tmp_path / "seen.json"
    guarded = Endpoint.from_url("http://guard-user:throwaway@127.0.0.1:1/sdk")
    node = CommandNode([sys.executable, "-c", SNOOP, str(seen)], NodeSetup(
        "n1", guarded, "_base", tmp_path, 60, lambda: datetime.now(UTC)))
    node.close()
    snooped = seen.read_text()
    assert "S3CRET" not in snooped and "VCSIM_URL" not in json.loads(snooped)["env"]
    assert json.loads(snooped)["start"]["vsphere"]["url"] == guarded.url
