"""The harness: scenario model and runner, adapters, an independent datastore
inspector, contention, conformance and reports. It sits between the pytest
layer (``conftest.py``) and the ground floor (``sim``, ``refimpl``)."""
