"""Gait metrics: pure functions from records and run tables to numbers with units.

Takes records in the data contract (:mod:`analyzer.schema`) and per-run tables; gives the per-run
gait summary (:mod:`~analyzer.metrics.gait`), the watch-style averages
(:mod:`~analyzer.metrics.averages`), Garmin's colour bands (:mod:`~analyzer.metrics.bands`),
speed normalisation, baselines and change flags (:mod:`~analyzer.metrics.trends`) and weekly
load (:mod:`~analyzer.metrics.load`). Imports nothing of the package above :mod:`analyzer.schema`.
"""

from typing import TYPE_CHECKING

# ``analyzer.metrics.trends`` is the module (speed normalisation, references, change flags);
# its function of the same name is ``analyzer.metrics.trends.trends``.
from analyzer._base.lazy import exports

_EXPORTS = {
    "summarize": "gait",
    "running_mask": "gait",
    "SUMMARY_KEYS": "gait",
    "METRIC_VERSION": "gait",
    "run_averages": "averages",
    "flag_changes": "trends",
    "speed_relation": "trends",
    "current_vs_baseline": "trends",
    "daily": "load",
    "weekly": "load",
    "acwr_at": "load",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.metrics.averages import run_averages
    from analyzer.metrics.gait import METRIC_VERSION, SUMMARY_KEYS, running_mask, summarize
    from analyzer.metrics.load import acwr_at, daily, weekly
    from analyzer.metrics.trends import current_vs_baseline, flag_changes, speed_relation
