"""A finding, from the search that made it to the summary that shows it:
one type, plain JSON (shards on several machines merge)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Finding:
    kind: str  # the search: sequential, contention, sweeps, sweep
    impl: str
    model: str  # the model the verdict follows
    property: str  # the property broken first (properties.py)
    what: str  # the first violation, in a line: where, its property, what broke
    replay: str  # the line that replays it
    file: str = ""  # the scenario it is written in (or swept)
    zone: str = ""  # the time zone the implementation ran in
    seed: int | None = None  # the search's seed
    size: str = ""  # of the written case, against the first failing one
    timeline: str = ""  # a contention run's page
    report: str = ""  # what its replay showed
    holds: bool = True  # its replay failed again
    # The file's text: a finding made on another machine (an xdist gateway,
    # a shard) is written again next to the summary that gathers it.
    text: str = ""
