"""Every option of every command says what it does in --help."""

from __future__ import annotations

import argparse

import pytest

from harness import cli, guard
from harness.contention import search
from harness.explore import cli as explore
from sim import cli as sim


class Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _parser_of(main, argv: list[str], monkeypatch) -> argparse.ArgumentParser:
    def capture(self, *args, **kwargs):
        raise Captured(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", capture)
    with pytest.raises(Captured) as caught:
        main(argv)
    return caught.value.parser


def _undocumented(parser: argparse.ArgumentParser, where: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub.add_help:  # the delegated commands document themselves
                    missing += _undocumented(sub, f"{where} {name}")
            continue
        if not action.help:
            missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}")
    return missing


@pytest.mark.parametrize("main, argv, where", [
    (cli.main, ["run"], "imagecache-harness"),
    (explore.main, ["search"], "explore"),
    (search.main, ["x"], "race"),
    (sim.main, ["status"], "sim"),
    (guard.main, [], "guard"),
])
def test_every_option_has_help(monkeypatch, main, argv, where):
    assert _undocumented(_parser_of(main, argv, monkeypatch), where) == []
