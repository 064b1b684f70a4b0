"""Scenario files as pytest items: markers, invalid files, failure output, reports."""

from __future__ import annotations

import json
import textwrap

from harness.adapters import zone_of

PASSING = """\
name: {name}
purpose: An unused image gets marked.
tier: {tier}
tags: [{tag}]
cache:
  LocalDS_0:
    images:
      img1: {{}}
steps:
  - age: {{}}
  - expect: {{LocalDS_0: {{images: {{img1: {{marks: 1}}}}}}}}
"""

FAILING = """\
name: wrong-expectation
purpose: Expects the wrong thing on purpose.
tier: must
tags: [demo]
cache:
  LocalDS_0:
    images:
      img1: {files: [img1.vmdk]}
      img2: {}
steps:
  - age: {}
  - clock: {advance: 2h}
  - age: {}
  - expect:
      LocalDS_0:
        images:
          img1: {marks: [2026-03-01T11:00:00Z]}
"""


def assert_lines_in_order(lines: list[str], wanted: list[str]) -> None:
    """Each wanted text occurs in a line, in this order (no wildcards: the
    output is full of brackets)."""
    position = 0
    for text in wanted:
        while position < len(lines) and text not in lines[position]:
            position += 1
        assert position < len(lines), f"{text!r} not found in order in:\n" + "\n".join(lines)
        position += 1


def make(pytester, **files: str) -> None:
    scenarios = pytester.path / "scenarios"
    scenarios.mkdir(exist_ok=True)
    for name, text in files.items():
        (scenarios / f"{name}.yaml").write_text(textwrap.dedent(text))


def run(pytester, *args: str):
    return pytester.runpytest_subprocess("-p", "harness.plugin", "--vcsim=process",
                                         "scenarios", *args)


def test_invalid_file_is_its_own_failing_item_and_the_rest_run(pytester):
    make(pytester, good=PASSING.format(name="good", tier="must", tag="marking"),
         bad="name: bad\npurpose: p\ntier: must\nsteps:\n  - nap: 5\n")
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*scenarios/bad.yaml:5: invalid scenario: unknown key 'nap'*"])


def test_failure_shows_file_line_tree_diff_and_steps(pytester):
    make(pytester, wrong=FAILING)
    result = run(pytester, "--scenario-report=rep", "--junitxml=rep/junit.xml")
    result.assert_outcomes(failed=1)
    assert_lines_in_order(result.stdout.lines, [
        "scenarios/wrong.yaml:14: step 4 (expect ['LocalDS_0']): LocalDS_0: unexpected "
        "image folder 'img2'",
        "image 'img1': marks: expected ['ts-2026-03-01-11-00-00'], "
        "found ['ts-2026-03-01-12-00-00']",
        "cache tree, expected vs actual:",
        "--- expected",
        "+++ actual",
        "   img1/",
        "-    ts-2026-03-01-11-00-00/",
        "+    ts-2026-03-01-12-00-00/",
        "     img1.vmdk",
        "+  img2/",
        "+    ts-2026-03-01-12-00-00/",
        "steps run so far:",
        "  1. line 11: age by node1 on ['LocalDS_0'] -> marked 2",
        "  2. line 12: clock advance 2h -> now 2026-03-01T14:00:00Z",
        "  3. line 13: age by node1",
    ])
    summary = (pytester.path / "rep" / "summary.md").read_text()
    assert "| must | 0 | 1 | 0 | 0 | 0 | 1 |" in summary
    assert "### wrong-expectation [refimpl]" in summary
    # Where it failed, once; then how to replay it, in its zone.
    assert summary.count("wrong.yaml:") == 1 and \
        "wrong.yaml:14: step 4 (expect ['LocalDS_0']): LocalDS_0: unexpected image folder " \
        "'img2'" in summary
    zone = zone_of("wrong-expectation")
    assert f"- zone: {zone}\n- replay: `imagecache-harness replay " in summary
    assert f"wrong.yaml --impl refimpl --zone {zone}`" in summary
    assert "-    ts-2026-03-01-11-00-00/\n+    ts-2026-03-01-12-00-00/" in summary  # the diff
    results = json.loads((pytester.path / "rep" / "summary.json").read_text())
    assert results[0]["outcome"] == "failed" and results[0]["tags"] == ["demo"]
    junit = (pytester.path / "rep" / "junit.xml").read_text()
    assert 'name="wrong-expectation"' in junit and "<failure" in junit
    assert 'name="replay" value="imagecache-harness replay ' in junit
    assert f"replay: imagecache-harness replay {pytester.path}" in result.stdout.str()


def test_tags_and_tiers_are_markers_and_keywords(pytester):
    make(pytester, a=PASSING.format(name="a-must", tier="must", tag="marking"),
         b=PASSING.format(name="b-ref", tier="reference", tag="lstrip"))
    run(pytester, "-m", "reference", "-v").stdout.fnmatch_lines(["*b-ref PASSED*"])
    result = run(pytester, "-k", "lstrip", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*b-ref PASSED*"])
    run(pytester, "-m", "marking and must").assert_outcomes(passed=1)


def test_duplicate_scenario_names_are_reported(pytester):
    text = PASSING.format(name="same", tier="must", tag="marking")
    make(pytester, one=text, two=text)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*duplicate scenario name 'same' (also in *one.yaml:1)*"])


def test_scenarios_run_in_parallel_workers(pytester):
    make(pytester, **{f"s{i}": PASSING.format(name=f"s{i}", tier="must", tag="marking")
                      for i in range(4)})
    run(pytester, "-n", "2").assert_outcomes(passed=4)
