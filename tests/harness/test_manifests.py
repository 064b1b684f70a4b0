"""Expectation manifests: they name real scenarios, and an unexpected pass fails."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET

import pytest

from harness.collect import is_contention_file, is_scenario_file
from harness.contention.loader import load_contention
from harness.manifest import (
    MANIFEST_DIR,
    ManifestError,
    expected_failures,
    manifest_directories,
)
from harness.scenario import load_scenario

from .test_collection import PASSING, make


def corpus_tiers() -> dict[str, str]:
    """Every scenario's name -> tier (contention scenarios: 'contention')."""
    root = MANIFEST_DIR.parent
    found = [load_scenario(p) for p in root.rglob("*.yaml") if is_scenario_file(p)]
    found += [load_contention(p) for p in root.rglob("*.yaml") if is_contention_file(p)]
    return {s.name: s.tier for s in found}


@pytest.mark.parametrize("manifest", sorted(MANIFEST_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_manifest_names_existing_reference_scenarios(manifest):
    failures = expected_failures(manifest.stem)
    assert failures, f"{manifest} lists nothing"
    tiers = corpus_tiers()
    assert set(failures) <= set(tiers), f"unknown scenarios: {set(failures) - set(tiers)}"
    # Must-tier behaviour is shared by every implementation by definition.
    assert all(tiers[name] in ("reference", "contention") for name in failures)


def test_bad_manifest_is_an_error(tmp_path):
    (tmp_path / "x.yaml").write_text("implementation: x\nexpected_failures:\n  a: {}\n")
    with pytest.raises(ManifestError, match="a: needs a reason"):
        expected_failures("x", (tmp_path,))
    (tmp_path / "y.yaml").write_text("implementation: z\n")
    with pytest.raises(ManifestError, match="implementation is 'z', expected 'y'"):
        expected_failures("y", (tmp_path,))


def test_an_inheriting_manifest_extends_overrides_and_takes_out(tmp_path):
    (tmp_path / "base.yaml").write_text(textwrap.dedent("""\
        implementation: base
        expected_failures:
          kept: {reason: r1}
          changed: {reason: r2}
          dropped: {reason: r3}
    """))
    (tmp_path / "child.yaml").write_text(textwrap.dedent("""\
        implementation: child
        inherits: base
        expected_failures:
          changed: {reason: r4, sometimes: true}
          dropped: {passes: true, reason: the child has not that bug}
          added: {reason: r5}
    """))
    found = expected_failures("child", (tmp_path,))
    assert {name: (e.reason, e.sometimes) for name, e in found.items()} == {
        "kept": ("r1", False), "changed": ("r4", True), "added": ("r5", False)}
    (tmp_path / "bad.yaml").write_text(
        "implementation: bad\ninherits: base\nexpected_failures:\n"
        "  nowhere: {passes: true, reason: r}\n")
    with pytest.raises(ManifestError, match="nowhere: 'passes' takes out an inherited entry"):
        expected_failures("bad", (tmp_path,))


def test_unexpected_pass_is_a_failure_and_expected_failure_is_not(pytester):
    make(pytester, good=PASSING.format(name="good", tier="reference", tag="marking"),
         bad=PASSING.format(name="bad", tier="reference", tag="marking").replace(
             "marks: 1", "marks: 2"))
    manifests = pytester.path / "manifests"
    manifests.mkdir()
    (manifests / "refimpl.yaml").write_text(textwrap.dedent("""\
        implementation: refimpl
        expected_failures:
          good: {reason: listed although it passes}
          bad: {reason: expects two marks}
    """))
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "--vcsim=process",
                                           "scenarios", f"--expectations={manifests}", "-rxX")
    result.assert_outcomes(failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*listed although it passes*",
                                 "XFAIL*bad*expects two marks*"])


def test_conformance_report_cells_links_and_junit(pytester):
    make(pytester, good=PASSING.format(name="good", tier="must", tag="marking"),
         listed=PASSING.format(name="listed", tier="reference", tag="lstrip"),
         broken=PASSING.format(name="broken", tier="reference", tag="lstrip").replace(
             "marks: 1", "marks: 3"),
         known=PASSING.format(name="known", tier="reference", tag="lstrip").replace(
             "marks: 1", "marks: 2"))
    manifests = pytester.path / "manifests"
    manifests.mkdir()
    (manifests / "mine.yaml").write_text(textwrap.dedent("""\
        implementation: mine
        expected_failures:
          listed: {reason: thought broken}
          known: {reason: expects two marks, edge_cases: [5]}
    """))
    pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", "scenarios", f"--expectations={manifests}",
        "--impl", "refimpl", "--impl", "mine=harness.adapters.refimpl_adapter:"
        "RefimplImplementation", "--scenario-report=rep")
    rep = pytester.path / "rep"
    md = (rep / "conformance.md").read_text()
    assert "- **mine**: 1 pass, 1 expected fail, 1 UNEXPECTED FAIL, 1 UNEXPECTED PASS" in md
    assert "| good | pass | pass |" in md
    assert "| listed | [UNEXPECTED PASS](#mine-listed) | pass |" in md
    assert "| known | [expected fail](#mine-known) | [UNEXPECTED FAIL](#refimpl-known) |" in md
    assert "Expected because: expects two marks" in md
    assert "cache tree, expected vs actual:" in md  # the linked detail has the diff
    page = (rep / "conformance.html").read_text()
    assert '<a href="#mine-broken">UNEXPECTED FAIL</a>' in page and 'id="mine-broken"' in page
    junit = (rep / "junit-mine.xml").read_text()
    assert 'tests="4" failures="2" skipped="1"' in junit and 'name="broken"' in junit
    case = next(c for c in ET.fromstring(junit) if c.get("name") == "broken")
    assert case.get("file").endswith("broken.yaml") and case.get("line").isdigit()


def test_a_users_manifests_add_to_the_shipped_ones(tmp_path):
    """Theirs win for an implementation both have; the rest stay shipped."""
    assert expected_failures("original", manifest_directories(tmp_path)) == \
        expected_failures("original")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "original.yaml").write_text(
        "implementation: original\nexpected_failures:\n  x: {reason: mine}\n")
    assert set(expected_failures("original", manifest_directories(theirs))) == {"x"}


def test_inherits_resolves_in_the_users_folder_then_the_shipped_one(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "implementation: mine\ninherits: original\nexpected_failures:\n  x: {reason: r}\n")
    found = expected_failures("mine", manifest_directories(tmp_path))
    assert set(found) == set(expected_failures("original")) | {"x"}
    (tmp_path / "other.yaml").write_text("implementation: other\ninherits: nobody\n")
    with pytest.raises(ManifestError, match="inherits 'nobody', which has no manifest in "):
        expected_failures("other", manifest_directories(tmp_path))
    (tmp_path / "loop.yaml").write_text("implementation: loop\ninherits: loop\n")
    with pytest.raises(ManifestError, match="in a circle"):
        expected_failures("loop", manifest_directories(tmp_path))


def test_unknown_keys_and_scenarios_are_named(pytester):
    make(pytester, one=PASSING.format(name="one", tier="reference", tag="marking"))
    manifests = pytester.path / "manifests"
    manifests.mkdir()
    (manifests / "refimpl.yaml").write_text(
        "implementation: refimpl\nexpected_failures:\n  one: {reason: r}\n  nosuch: {reason: r}\n")
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios",
                                           f"--expectations={manifests}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*manifest of 'refimpl' names scenario(s) that do not exist: "
                                 "nosuch*"])
    (manifests / "refimpl.yaml").write_text("implementation: refimpl\nexpected: {}\n")
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "scenarios",
                                           f"--expectations={manifests}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*refimpl.yaml: unknown key(s) expected*"])


def test_the_spec_names_for_each_edge_case_the_scenarios_that_cover_it():
    """docs/spec.md is what edge_cases numbers refer to; its 'Scenarios:'
    lines stay true to the corpus, and every number used is in it."""
    listed: dict[int, set[str]] = {}
    case = None
    for line in (MANIFEST_DIR.parents[2] / "docs" / "spec.md").read_text().splitlines():
        number, dot, _ = line.partition(". **")
        if dot and number.isdigit():
            case = int(number)
            listed[case] = set()
        elif case is not None and line.strip().startswith("Scenarios:"):
            names = line.strip().removeprefix("Scenarios:").strip()
            listed[case] = set() if names == "none yet" else {
                n.strip().strip("`") for n in names.split(",")}
    assert sorted(listed) == list(range(1, len(listed) + 1)) and len(listed) >= 23
    covered: dict[int, set[str]] = {n: set() for n in listed}
    root = MANIFEST_DIR.parent
    scenarios = [load_scenario(p) for p in root.rglob("*.yaml") if is_scenario_file(p)]
    scenarios += [load_contention(p) for p in root.rglob("*.yaml") if is_contention_file(p)]
    for scenario in scenarios:
        for n in scenario.edge_cases:
            assert n in covered, f"{scenario.name}: edge case {n} is not in docs/spec.md"
            covered[n].add(scenario.name)
    assert covered == listed
    for manifest in MANIFEST_DIR.glob("*.yaml"):
        for entry in expected_failures(manifest.stem).values():
            assert set(entry.edge_cases) <= set(listed), entry
