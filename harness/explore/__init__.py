"""The explorer: the harness looking for bugs nobody wrote a scenario for.

One engine (``engine``) searches targets (``targets/``): generated
sequential scenarios checked against an executable model of the scheme
(``scheme``, run over a scenario by ``prediction``), generated contention
scenarios, and fault sweeps. Every verdict comes from one registry of
properties (``properties``) over what a run showed (``observation``, made
by ``observe``); every finding is a file and a line that replays it
(``replay``).
"""
