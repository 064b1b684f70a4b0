"""conformance.html in a real browser (headless Chromium): the matrix folds
and unfolds by group, filters, and starts with the surprises open."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.report import conformance
from harness.report.result import Result

DRIVER = """<!doctype html><iframe id="page" src="conformance.html"></iframe><script>
const frame = document.getElementById("page");
frame.onload = () => {
  const d = frame.contentDocument, out = {};
  const shown = sel => [...d.querySelectorAll(sel)].filter(r => !r.hidden)
    .map(r => r.cells[0].textContent);
  out.first = shown("tr.scenario");
  out.groups = shown("tr.group");
  for (const g of ["reference", "reference/lstrip"]) {
    d.querySelector(`tr.group[data-group="${g}"]`).click();
  }
  out.unfolded = shown("tr.scenario");
  d.querySelector('tr.group[data-group="must/marking"]').click();
  out.folded = shown("tr.scenario");
  const filter = d.getElementById("filter");
  filter.value = "double";
  filter.dispatchEvent(new Event("input"));
  out.filtered = shown("tr.scenario");
  out.filtered_groups = shown("tr.group");
  out.head = [...d.querySelectorAll("thead th.impl")].map(th => th.innerText);
  const cell = d.querySelector("td.failed");
  out.tooltip = cell.title;
  out.links = [...d.querySelectorAll("td a")].map(a => a.getAttribute("href"));
  document.body.dataset.result = JSON.stringify(out);
};
</script>"""


def browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("IMAGECACHE_REQUIRE_BROWSER"):
            pytest.fail("make test installs chromium (Debian's package); it is not on PATH")
        pytest.skip("no chromium on PATH (make test installs Debian's)")
    return found


class _Result(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and dict(attrs).get("data-result"):
            self.found = json.loads(dict(attrs)["data-result"] or "")


def results(reports: Path) -> list[Result]:
    timeline = reports / "timelines" / "race.html"
    return [
        Result("fresh-mark", "refimpl", "must", ["marking"], "s/a.yaml", 2, "passed", 0.1),
        Result("fresh-mark", "mine", "must", ["marking"], "s/a.yaml", 2, "failed", 0.1,
               "step 2: image 'img1' is missing", "the diff"),
        Result("double-prefix", "refimpl", "reference", ["lstrip"], "s/b.yaml", 2, "passed", 0.1),
        Result("double-prefix", "mine", "reference", ["lstrip"], "s/b.yaml", 2, "xfailed", 0.1,
               "lstrip eats the prefix", "how it failed"),
        Result("busy", "refimpl", "contention", ["load"], "s/c.yaml", 2, "passed", 0.1,
               timeline=str(timeline)),
        Result("busy", "mine", "contention", ["load"], "s/c.yaml", 2, "passed", 0.1),
    ]


def test_the_matrix_folds_filters_and_opens_on_surprises(tmp_path):
    chromium = browser()
    conformance.write(results(tmp_path), tmp_path)
    (tmp_path / "driver.html").write_text(DRIVER)
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--allow-file-access-from-files", "--virtual-time-budget=5000",
                          "--dump-dom", (tmp_path / "driver.html").as_uri()],
                         capture_output=True, text=True, timeout=120)
    parser = _Result()
    parser.feed(dom.stdout)
    seen = parser.found
    assert seen is not None, dom.stdout[-2000:] + dom.stderr[-2000:]
    assert seen["first"] == ["fresh-mark"]  # only the group with a surprise is open
    assert seen["groups"] == ["must", "marking", "reference", "lstrip", "contention", "load"]
    assert seen["unfolded"] == ["fresh-mark", "double-prefix"]
    assert seen["folded"] == ["double-prefix"]
    assert seen["filtered"] == ["double-prefix"]
    assert seen["filtered_groups"] == ["reference", "lstrip"]
    assert [" ".join(h.split()) for h in seen["head"]] == [
        "mine 1 pass, 1 expected, 1 unexpected", "refimpl 3 pass, 0 expected"]
    assert seen["tooltip"] == "step 2: image 'img1' is missing"
    assert set(seen["links"]) == {"#mine-fresh-mark", "#mine-double-prefix",
                                  "timelines/race.html"}
