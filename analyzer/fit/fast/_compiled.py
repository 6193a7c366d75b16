"""Which header walk runs: the compiled one (``_cwalk.c``) when it was built, else Python.

``setup.py`` builds ``_cwalk`` at install when a C compiler is there and goes on without it
otherwise; :mod:`analyzer.fit.fast._walk` then does all of the walk in Python. Both give the
same tables, notes and errors (``tests/fit/test_cwalk.py``); ``ANALYZER_PURE_WALK=1`` forces
the Python walk and the numpy field decoding of :mod:`analyzer.fit.fast._columns` instead of
the compiled ``columns`` of :mod:`analyzer.fit.fast._bulk`, and the numpy CRC instead of the
compiled one (the fitparse tests run on both).
"""

from __future__ import annotations

import os
from collections.abc import Callable

#: Set to ``1`` to walk in Python even where the compiled walk is built.
PURE_ENV = "ANALYZER_PURE_WALK"

try:
    from analyzer.fit.fast._cwalk import scan as _scan
except ImportError:  # pragma: no cover - depends on the machine it was installed on
    _scan = None
try:
    from analyzer.fit.fast._cwalk import columns as _columns
    from analyzer.fit.fast._cwalk import crc16 as _crc16
except ImportError:  # pragma: no cover - a build older than the bulk decoder
    _columns = _crc16 = None


def compiled_walk() -> bool:
    """Whether the compiled walk is used."""
    return _scan is not None and os.environ.get(PURE_ENV, "") != "1"


def compiled_scan() -> Callable | None:
    """``_cwalk.scan`` when the compiled walk is used, else None."""
    return _scan if compiled_walk() else None


def compiled_columns() -> Callable | None:
    """``_cwalk.columns`` (the bulk field decoder of :mod:`analyzer.fit.fast._bulk`) when the
    compiled walk is used, else None: ``ANALYZER_PURE_WALK=1`` turns both off."""
    return _columns if compiled_walk() else None


def compiled_crc() -> Callable | None:
    """``_cwalk.crc16`` (the CRC eight bytes at a time) when the compiled walk is used, else
    None (:func:`analyzer.fit.fast.crc16` then computes it with numpy)."""
    return _crc16 if compiled_walk() else None
