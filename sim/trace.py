"""Reading the simulator's SOAP trace (``-trace`` / ``-trace-file``)."""

from __future__ import annotations

import re
from collections import Counter

# govmomi writes "Request: <envelope>" per call; the body's first element
# is the method (responses are "<Method>Response" and are skipped).
_REQUEST = re.compile(r"Request: .*?<soapenv:Body><(?:\w+:)?(\w+)[\s>/]", re.DOTALL)


def count_calls(trace: str) -> Counter[str]:
    """SOAP calls per method name in a trace."""
    return Counter(m for m in _REQUEST.findall(trace) if not m.endswith("Response"))
