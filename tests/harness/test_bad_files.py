"""Every bad file named: a scenario or contention file that is not UTF-8,
holds a recursive or exploding alias, cannot be read, or lays out a name no
single folder may have, is an item that fails with ``file:line`` and a
one-line reason; never a collection error, with or without xdist. A
manifest so broken is named the same way."""

from __future__ import annotations

import os

import pytest

from harness.format.names import why_not_a_name
from harness.format.source import MAX_VALUES, YamlError, read

HEADER = "name: {name}\npurpose: p\ntier: must\n"
STEPS = "steps: [{age: {}}]\n"
CONTENTION = """\
name: {name}
purpose: p
duration: 1s
images: {images}
actors:
  - ager: {{node: node1}}
"""
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True))

# (file's stem, its bytes, the line named, what the reason says)
BAD = [
    ("bom", b"\xff\xfename: x\n", 1, "not UTF-8 (byte 0xff at offset 0)"),
    ("latin", (HEADER.format(name="latin") + "purpose: caf\xe9\n").encode("latin-1"), 4,
     "not UTF-8 (byte 0xe9"),
    ("recursive", (HEADER.format(name="recursive") + "x: &a [*a, *a]\n" + STEPS).encode(), 4,
     "an alias refers to a collection it is part of"),
    # (the line of the value past the limit: inside the first anchor)
    ("laughs", (HEADER.format(name="laughs") + LAUGHS + STEPS).encode(), 4,
     f"more than {MAX_VALUES} values once its aliases are expanded"),
]
NAMES = [".", "..", "a/b", "a\\b", "a\x01b", "a\x7fb", "é" * 128]


def _quoted(image: str) -> str:
    return image.encode("unicode_escape").decode().replace('"', '\\"')


def _layout(n: int, image: str) -> bytes:
    return (HEADER.format(name=f"layout-{n}") + "cache:\n  LocalDS_0:\n    images:\n"
            f'      "{_quoted(image)}": {{}}\n' + STEPS).encode()


def _contention(n: int, image: str) -> bytes:
    return CONTENTION.format(name=f"race-{n}", images=f'{{"{_quoted(image)}": {{}}}}').encode()


def _collect(pytester, workers: str, files: dict[str, bytes]):
    scenarios = pytester.path / "scenarios"
    for relative, data in files.items():
        path = scenarios / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return pytester.runpytest_subprocess("-p", "harness.plugin", "--vcsim=process", "-n",
                                         workers, "scenarios", "-p", "no:cacheprovider")


@pytest.mark.parametrize("workers", ["0", "2"])
def test_each_bad_file_is_a_failing_item_naming_file_line_and_reason(pytester, workers):
    files = {f"{stem}.yaml": data for stem, data, _, _ in BAD}
    files["contention/bom.yaml"] = b"\xff\xfe"
    files["contention/recursive.yaml"] = b"name: r\npurpose: p\nimages: &i {a: *i}\n"
    result = _collect(pytester, workers, files)
    result.assert_outcomes(failed=len(files))
    assert "error" not in result.parseoutcomes()
    lines = [f"scenarios/{stem}.yaml:{line}: invalid scenario: {reason}"
             for stem, _, line, reason in BAD]
    lines += ["scenarios/contention/bom.yaml:1: invalid scenario: not UTF-8",
              "scenarios/contention/recursive.yaml:3: invalid scenario: an alias refers to"]
    for line in lines:  # in any order: the workers report as they go
        assert any(shown.startswith(line) for shown in result.stdout.lines), line


def test_a_layout_name_no_single_folder_may_have_is_refused_at_load(pytester):
    files = {f: data for n, image in enumerate(NAMES)
             for f, data in ((f"layout-{n}.yaml", _layout(n, image)),
                             (f"contention/race-{n}.yaml", _contention(n, image)))}
    result = _collect(pytester, "0", files)
    result.assert_outcomes(failed=len(files))
    shown = [line for line in result.stdout.lines if ": invalid scenario: key " in line]
    for n, image in enumerate(NAMES):
        why = str(why_not_a_name(image))
        for where in (f"scenarios/layout-{n}.yaml:7: invalid scenario: key ",
                      f"scenarios/contention/race-{n}.yaml:4: invalid scenario: key "):
            assert any(line.startswith(where) and line.endswith(why) for line in shown), \
                (where, why, shown)


def test_what_a_single_folder_may_be_called():
    assert why_not_a_name("ubuntu-22.04.img") is None
    assert why_not_a_name("a..b") is None  # two dots inside a name address nothing
    assert why_not_a_name("é" * 127) is None  # 254 bytes
    assert "255" in str(why_not_a_name("é" * 128))
    for name in ("", *NAMES[:-1]):
        assert why_not_a_name(name) is not None, name


def test_what_cannot_be_read_is_named_not_raised(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path, reason in [(fifo, "not a regular file"), (tmp_path, "Is a directory"),
                         (tmp_path / "gone.yaml", "No such file")]:
        with pytest.raises(YamlError, match=f"cannot be read: {reason}"):
            read(path)


def test_a_broken_manifest_is_named_with_its_line(pytester):
    (pytester.path / "mine").mkdir()
    (pytester.path / "mine" / "refimpl.yaml").write_bytes(
        b"implementation: refimpl\nexpected_failures: &e {x: *e}\n")
    (pytester.path / "scenarios").mkdir()
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "--vcsim=process",
                                           "scenarios", "--expectations=mine")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mine/refimpl.yaml:2: an alias refers to a collection*"])
