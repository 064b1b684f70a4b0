"""Reports of a scenario run: each scenario's result, the summary (by
implementation, tier and tag), the conformance matrix and JUnit files."""
