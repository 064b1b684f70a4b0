"""Top floor: wires the harness into pytest. Everything lives in ``harness``."""

pytest_plugins = ["harness.plugin", "pytester"]
