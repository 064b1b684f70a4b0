"""What the package ships besides code: the scenario corpus, its two
schemas and the expectation manifests. They lie next to the code whatever
the install (a checkout, a wheel); a checkout's ``scenarios/`` is a link to
the corpus."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SCENARIO_SCHEMA = CORPUS / "schema.json"
CONTENTION_SCHEMA = CORPUS / "contention" / "schema.json"
MANIFESTS = CORPUS / "expectations"


def corpus_folders(path: Path) -> tuple[str, ...]:
    """The folders of ``path`` as collection sees them: below the shipped
    corpus, as if it were a folder named ``scenarios``."""
    try:
        inside = path.resolve().relative_to(CORPUS)
    except ValueError:
        return path.parts[:-1]
    return ("scenarios", *inside.parts[:-1])


def find_scenario(name: str) -> Path | None:
    """The corpus's scenario file of this name (its file is named after it)."""
    return next((path for path in sorted(CORPUS.rglob(f"{name}.yaml"))
                 if "expectations" not in path.relative_to(CORPUS).parts), None)
