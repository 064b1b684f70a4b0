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
    paths[1].write_text(page(results, impls))
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


def page(results: list[Result], impls: list[str]) -> str:
    e = html.escape
    out = ["<!doctype html><meta charset=utf-8><title>Conformance</title>",
           "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
           "td,th{border:1px solid #999;padding:2px 8px}pre{background:#f4f4f4;padding:8px;"
           "overflow-x:auto}</style>", "<h1>Conformance</h1><ul>"]
    out += [f"<li><b>{e(impl)}</b>: {e(_totals(results, impl))}</li>" for impl in impls]
    out.append("</ul>")
    for (tier, tag), scenarios in _groups(results).items():
        out.append(f"<h2>{e(tier)} / {e(tag)}</h2><table><tr><th>scenario</th>" +
                   "".join(f"<th>{e(i)}</th>" for i in impls) + "</tr>")
        for name, by_impl in sorted(scenarios.items()):
            row = [f"<td>{e(name)}</td>"]
            for impl in impls:
                r = by_impl.get(impl)
                if r is None:
                    row.append("<td></td>")
                    continue
                text = e(CELL[r.outcome])
                if r.details or r.outcome == "xfailed":
                    text = f'<a href="#{_anchor(r)}">{text}</a>'
                row.append(f'<td style="background:{COLOUR[r.outcome]}" '
                           f'title="{e(r.message)}">{text}</td>')
            out.append("<tr>" + "".join(row) + "</tr>")
        out.append("</table>")
    out.append("<h2>Details</h2>")
    for r in results:
        if r.details or r.outcome == "xfailed":
            body = f"<p>Expected because: {e(r.message)}</p>" if r.outcome == "xfailed" else ""
            body += f"<pre>{e(r.details)}</pre>" if r.details else ""
            out.append(f'<h3 id="{_anchor(r)}">{e(r.scenario)} [{e(r.impl)}]: '
                       f"{e(CELL[r.outcome])}</h3><p>{e(r.where)}</p>{body}")
    return "\n".join(out) + "\n"


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
        if r.outcome in ("failed", "xpassed"):
            ET.SubElement(case, "failure", message=r.message).text = r.details
        elif r.outcome in ("xfailed", "skipped"):
            ET.SubElement(case, "skipped", message=r.message)
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True)
