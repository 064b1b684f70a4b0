"""The conformance report: scenarios (by tier and tag) x implementations.

``conformance.md`` and ``conformance.html`` show each cell as pass, expected
fail, unexpected fail or unexpected pass, linking to the failure's detail
(tree diff, steps run); ``junit-<implementation>.xml`` serves CI systems.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from .result import Result

CELL = {"passed": "pass", "xfailed": "expected fail", "failed": "UNEXPECTED FAIL",
        "xpassed": "UNEXPECTED PASS", "skipped": "skipped"}
COLOUR = {"passed": "#d6f5d6", "xfailed": "#eeeeee", "failed": "#f7c6c6",
          "xpassed": "#f7c6c6", "skipped": "#fff3c4"}


def _anchor(r: Result) -> str:
    return re.sub(r"[^a-z0-9-]", "-", f"{r.impl}-{r.scenario}".lower())


def _groups(results: list[Result]) -> dict[tuple[str, str], dict[str, dict[str, Result]]]:
    """(tier, first tag) -> scenario -> implementation -> result."""
    groups: dict[tuple[str, str], dict[str, dict[str, Result]]] = defaultdict(dict)
    for r in results:
        key = (r.tier, r.tags[0] if r.tags else "untagged")
        groups[key].setdefault(r.scenario, {})[r.impl] = r
    return dict(sorted(groups.items()))


def _implementations(results: list[Result]) -> list[str]:
    return sorted({r.impl for r in results})


def write(results: list[Result], directory: Path) -> list[Path]:
    impls = _implementations(results)
    paths = [directory / "conformance.md", directory / "conformance.html"]
    paths[0].write_text(markdown(results, impls))
    paths[1].write_text(page(results, impls, directory))
    for impl in impls:
        path = directory / f"junit-{re.sub(r'[^A-Za-z0-9_.-]', '_', impl)}.xml"
        path.write_text(junit(impl, [r for r in results if r.impl == impl]))
        paths.append(path)
    return paths


def _totals(results: list[Result], impl: str) -> str:
    mine = [r for r in results if r.impl == impl]
    counts = {o: sum(r.outcome == o for r in mine) for o in CELL}
    return ", ".join(f"{counts[o]} {CELL[o]}" for o in CELL if counts[o])


def markdown(results: list[Result], impls: list[str]) -> str:
    lines = ["# Conformance", ""]
    lines += [f"- **{impl}**: {_totals(results, impl)}" for impl in impls] + [""]
    for (tier, tag), scenarios in _groups(results).items():
        lines += [f"## {tier} / {tag}", "", "| scenario | " + " | ".join(impls) + " |",
                  "|---|" + "---|" * len(impls)]
        for name, by_impl in sorted(scenarios.items()):
            cells = []
            for impl in impls:
                r = by_impl.get(impl)
                if r is None:
                    cells.append("")
                elif r.details or r.outcome == "xfailed":
                    cells.append(f"[{CELL[r.outcome]}](#{_anchor(r)})")
                else:
                    cells.append(CELL[r.outcome])
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    detailed = [r for r in results if r.details or r.outcome == "xfailed"]
    if detailed:
        lines += ["## Details", ""]
    for r in detailed:
        lines += [f'<a id="{_anchor(r)}"></a>', f"### {r.scenario} [{r.impl}]: "
                  f"{CELL[r.outcome]}", "", f"{r.where}", ""]
        if r.outcome == "xfailed":
            lines += [f"Expected because: {r.message}", ""]
        if r.details:
            lines += ["```", r.details, "```", ""]
    return "\n".join(lines)


_STYLE = """
body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}
th,td{border:1px solid #bbb;padding:2px 8px;text-align:left}
thead th{position:sticky;top:0;background:#fff}
tr.group th{background:#e8eef7;cursor:pointer}tr.group.tier th{background:#c9d7ee}
tr.group th:first-child::before{content:"\\25B8 "}
tr.group.open th:first-child::before{content:"\\25BE "}
.n{font-weight:normal;color:#444}.bad{color:#b00;font-weight:bold}
pre{background:#f4f4f4;padding:8px;overflow-x:auto}#filter{margin:0.5em 0;width:20em}
"""

# Collapsing and filtering, in plain DOM: no library to ship.
_SCRIPT = """
const rows = [...document.querySelectorAll("tr.scenario")];
const groups = [...document.querySelectorAll("tr.group")];
function show() {
  const text = document.getElementById("filter").value.trim().toLowerCase();
  for (const row of rows) {
    const open = text ? row.textContent.toLowerCase().includes(text) :
      row.dataset.groups.split(" ").every(g =>
        document.querySelector(`tr.group[data-group="${g}"]`).classList.contains("open"));
    row.hidden = !open;
  }
  for (const group of groups) {
    const mine = rows.filter(r => r.dataset.groups.split(" ").includes(group.dataset.group));
    group.hidden = text !== "" && mine.every(r => r.hidden);
  }
}
for (const group of groups) {
  group.addEventListener("click", () => { group.classList.toggle("open"); show(); });
}
const filter = document.getElementById("filter");
filter.addEventListener("input", show);
const asked = new URLSearchParams(location.hash.slice(1)).get("filter");
if (asked !== null) { filter.value = asked; }
show();
"""


def _counts(results: list[Result]) -> str:
    """'12 pass, 3 expected, 1 unexpected' of a set of results."""
    passed = sum(r.outcome == "passed" for r in results)
    expected = sum(r.outcome == "xfailed" for r in results)
    unexpected = sum(r.outcome in ("failed", "xpassed") for r in results)
    skipped = sum(r.outcome == "skipped" for r in results)
    parts = [f"{passed} pass", f"{expected} expected"]
    parts += [f'<span class="bad">{unexpected} unexpected</span>'] if unexpected else []
    parts += [f"{skipped} skipped"] if skipped else []
    return ", ".join(parts)


def page(results: list[Result], impls: list[str], directory: Path | None = None) -> str:
    """One matrix: implementations as columns with their counts on top;
    scenarios by tier, then tag, in rows that fold, with each group's counts;
    a cell's colour says the outcome, its tooltip why, its link the detail
    (and a contention run's timeline); a filter box. Groups holding an
    unexpected result start open."""
    e = html.escape
    out = ["<!doctype html><meta charset=utf-8><title>Conformance</title>",
           f"<style>{_STYLE}</style>", "<h1>Conformance</h1>",
           '<input id="filter" type="search" placeholder="filter scenarios, e.g. lstrip">',
           '<table id="matrix"><thead><tr><th>scenario</th>']
    out += [f'<th class="impl">{e(i)}<br><span class="n">'
            f"{_counts([r for r in results if r.impl == i])}</span></th>" for i in impls]
    out.append("</tr></thead><tbody>")
    by_tier: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_tier[r.tier].append(r)
    groups = _groups(results)
    order = ["must", "reference", "contention"]
    for tier in sorted(by_tier, key=lambda t: (order.index(t) if t in order else 3, t)):
        out.append(_group_row(tier, tier, "group tier", by_tier[tier], impls))
        for (group_tier, tag), scenarios in groups.items():
            if group_tier != tier:
                continue
            mine = [r for by_impl in scenarios.values() for r in by_impl.values()]
            out.append(_group_row(f"{tier}/{tag}", tag, "group", mine, impls))
            for name, by_impl in sorted(scenarios.items()):
                out.append(f'<tr class="scenario" data-groups="{e(tier)} {e(tier)}/{e(tag)}">'
                           f"<td>{e(name)}</td>" +
                           "".join(_cell(by_impl.get(i), directory) for i in impls) + "</tr>")
    out.append("</tbody></table><h2>Details</h2>")
    for r in results:
        if r.details or r.outcome == "xfailed":
            body = f"<p>Expected because: {e(r.message)}</p>" if r.outcome == "xfailed" else ""
            body += f"<pre>{e(r.details)}</pre>" if r.details else ""
            out.append(f'<h3 id="{_anchor(r)}">{e(r.scenario)} [{e(r.impl)}]: '
                       f"{e(CELL[r.outcome])}</h3><p>{e(r.where)}</p>{body}")
    out.append(f"<script>{_SCRIPT}</script>")
    return "\n".join(out) + "\n"


def _group_row(key: str, label: str, kind: str, results: list[Result], impls: list[str]) -> str:
    e = html.escape
    unexpected = any(r.outcome in ("failed", "xpassed") for r in results)
    cells = "".join(f'<th class="n">{_counts([r for r in results if r.impl == i])}</th>'
                    for i in impls)
    return (f'<tr class="{kind}{" open" if unexpected else ""}" data-group="{e(key)}">'
            f"<th>{e(label)}</th>{cells}</tr>")


def _cell(r: Result | None, directory: Path | None) -> str:
    if r is None:
        return "<td></td>"
    e = html.escape
    text = e(CELL[r.outcome])
    if r.details or r.outcome == "xfailed":
        text = f'<a href="#{_anchor(r)}">{text}</a>'
    if r.timeline:
        where = Path(r.timeline)
        if directory is not None and where.is_relative_to(directory):
            where = where.relative_to(directory)
        text += f' <a href="{e(where.as_posix())}">timeline</a>'
    return (f'<td class="{r.outcome}" style="background:{COLOUR[r.outcome]}" '
            f'title="{e(r.message)}">{text}</td>')


def junit(impl: str, results: list[Result]) -> str:
    suite = ET.Element("testsuite", name=f"scenarios[{impl}]", tests=str(len(results)),
                       failures=str(sum(r.outcome in ("failed", "xpassed") for r in results)),
                       skipped=str(sum(r.outcome in ("xfailed", "skipped") for r in results)),
                       time=f"{sum(r.seconds for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"{r.tier}.{impl}", name=r.scenario,
                             file=r.file, time=f"{r.seconds:.3f}")
        if r.line:
            case.set("line", str(r.line))
        if r.replay:
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="replay",
                          value=r.replay)
        if r.outcome in ("failed", "xpassed"):
            ET.SubElement(case, "failure", message=r.message).text = \
                r.details + (f"\n\nreplay: {r.replay}" if r.replay else "")
        elif r.outcome in ("xfailed", "skipped"):
            ET.SubElement(case, "skipped", message=r.message)
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True)
