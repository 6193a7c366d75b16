"""Device families: how each kind of watch averages its session values (what
:func:`analyzer.metrics.averages.run_averages` follows, chosen by :func:`family` from the file's
``manufacturer`` and ``product``). The rules common to all families are in
:mod:`analyzer.metrics.averages`; ``tests/metrics/test_family_rules.py`` checks each family.

Per family (:data:`FAMILIES`):

- ``garmin`` (every Garmin product not listed below, and Dynastream): cadence moves
  *linearly* between records (each record weighs half the counted intervals on both sides, not
  the whole interval before it). Measured on the real histories (cadence within 1 spm, holding
  each value back -> linear): fenix 6X 88.8 % -> 95.6 % of 811 runs, fenix 5 92.5 -> 94.5 % of
  346, fenix 3 HR 85.2 -> 96.3 % of 108, FR245 98.5 -> 98.5 % of 324, FR265 98.4 -> 98.4 %,
  fenix 7 98.8 -> 98.8 %; holding each value *forward* is between the two (94.6 / 95.1 / 87.0 %).
  The misses it removes are smart-recorded runs with stops (cadence falling to 0 and back between
  records 20-60 s apart), where holding back ran +1.2 to +1.9 spm high. Only cadence: the
  dynamics have no values while standing, so both weightings agree on them (GCT, VO, VR, step
  100 % on the same files), and two short corpus files would get worse (garmin-fenix-5-run.fit
  GCT +5 %). Cost on the corpus: garmin-fenix-5-run.fit (21 records) -5.1 instead of -4.0
  (tests/expected.py). Garmin_Fenix_6S_Pro-Running.fit, -2.1 spm here at first, was a pause
  taken for the wrong gap (see **Pauses**): +0.2 with the pause found.
  Cadence 0 while the timer runs *is* averaged. Of the 19 corpus Garmin runs with zero-cadence records, 17 match
  the watch within 1 spm with the zeros and 9 without (FR920xt-with-Stryd.fit: 196 zeros,
  135.6 with them against the watch's 135.6, 150.9 without; fenix 6 track run: 176.7 with,
  180.7 without, watch 176.7). FR630 and FR735XT lean the other way (-0.6 / -0.2 spm with zeros,
  0.0 / +0.1 without) but agree within 1 spm both ways, so they stay here.
- ``garmin_fr70`` (Forerunner 70, foot pod, 5 s records): non-zero samples, whole strides/min
  truncated (its session and laps hold whole strides). compressed-speed-distance.fit: 174 against
  the watch's 176 (-1.1 %; with the zeros 164.1, -6.8 %). Its laps match 10 of 11 when samples
  under 100 spm are dropped too, but one file is too little to set a walking threshold.
- ``garmin_wrist_nonzero`` (Forerunner 235): the watch averages the *non-zero* cadence samples.
  Measured on 1,234 real FR235 runs (smart recording, wrist cadence; not in the corpus): counting
  zeros was below the watch on 785 runs, by up to 45 spm on runs with stops; the time-weighted
  mean of the non-zero samples was within 1 spm on 19 of 20 runs checked by hand (issue 11).
- ``suunto``: non-zero cadence samples, whole strides/min. 6914538454.fit (Suunto 9, 53 zero
  records): 174.0 without zeros against the watch's 174, 166.7 with them; 6909950168.fit agrees
  both ways. Suunto writes no fractional cadence, so its value is rounded to 2 steps/min.
- ``coros`` (NOMAD and any COROS not listed): whole strides/min (rounded) and step length in
  whole centimetres, as the session holds them. Zeros counted: NOMAD (35 real runs), a run with
  596 zero-cadence records: 93.5 with them against the watch's 94, 110.6 without; 91 % within
  1 spm (the misses are runs under 4 min). Corpus: 20210507_run_coros_pace_2.fit 183.7 -> 184 (watch 184), 1313.6 -> 1310 mm (1310);
  20210604_track_run_coros_pace_2.fit 179.7 -> 180 (180), 1311.5 -> 1310 mm (1310). Truncating
  would give 182 on the first. Zeros are counted (the track run's 10 zero records: 179.7 with,
  180.7 without; both round to the watch's 180, so the corpus does not decide).
- ``coros_pace2`` (COROS PACE 2, product 802): as ``coros`` but zero-cadence samples are left
  out. 43 real PACE 2 runs: 86 % within 1 spm without the zeros against 67 % with them; every run
  with zero records matches without them (e.g. 36 zeros: 143.1 -> 144, watch 144; with
  them 139.1 -> 140).
- ``coros_pace4`` (COROS PACE 4, product 806): step length = session total_distance / (2 x
  total_cycles), rounded up to whole centimetres: 90 of 90 real runs within 2 % (74 % exact)
  against 86 of 90 from the records' mean (41 % exact, records up to +2 % high). The same on the NOMAD
  (71 %) and PACE 2 (21 %; its total_cycles is not steps / 2) is worse than the records, which
  stay their rule.
- ``stryd`` (files written by a Stryd pod): whole strides/min, truncated:
  developer-types-sample.fit 149.4 -> 148 (watch 148; rounding gives 150), HRV-Data.fit
  152.4 -> 152 (152).
- ``apple`` (Apple Watch, through the apps that export its workouts as FIT; product string
  naming an Apple Watch): no such file in the corpus, and the issue measured our rule off on
  10-30 % of its runs. Its cadence is therefore the watch's own session value, labelled
  ``"watch"``, where the session has one; records are used only when it has none.
- Any other manufacturer: the ``garmin`` rule (IpBike-HRV-Data.fit, the only other running file
  with a session cadence, agrees within 1 spm: +0.7).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """How one device family averages (see the module docstring for the evidence).

    Attributes
    ----------
    name : str
    cadence_zeros : bool
        Whether cadence samples of 0 (timer running, standing) are averaged.
    cadence_step_spm : float
        Resolution of the session cadence [steps/min] (2 = whole strides); 0 = unrounded.
    cadence_round : str
        ``"nearest"`` or ``"floor"`` to that resolution.
    step_length_step_mm : float
        Resolution of the session step length [mm]; 0 = unrounded.
    cadence_from_watch : bool
        Report the session's cadence (source ``"watch"``) instead of the records' mean.
    weighting : str
        Of cadence. ``"previous"``: a record's value holds for the counted interval since the previous
        record; ``"trapezoid"``: the value moves linearly from one record to the next (each
        record weighs half of the counted intervals on either side of it).
    step_length_from_totals : bool
        Step length = session total_distance / (2 x total_cycles), rounded *up* to
        :attr:`step_length_step_mm`, when the session has both totals.
    """

    name: str
    cadence_zeros: bool = True
    cadence_step_spm: float = 0.0
    cadence_round: str = "nearest"
    step_length_step_mm: float = 0.0
    cadence_from_watch: bool = False
    weighting: str = "previous"
    step_length_from_totals: bool = False


_COROS = {"cadence_step_spm": 2.0, "step_length_step_mm": 10.0}
FAMILIES = {
    "garmin": Family("garmin", weighting="trapezoid"),
    "garmin_wrist_nonzero": Family("garmin_wrist_nonzero", cadence_zeros=False),
    "garmin_fr70": Family(
        "garmin_fr70", cadence_zeros=False, cadence_step_spm=2.0, cadence_round="floor"
    ),
    "suunto": Family("suunto", cadence_zeros=False, cadence_step_spm=2.0),
    "coros": Family("coros", **_COROS),
    "coros_pace2": Family("coros_pace2", cadence_zeros=False, **_COROS),
    "coros_pace4": Family("coros_pace4", step_length_from_totals=True, **_COROS),
    "stryd": Family("stryd", cadence_step_spm=2.0, cadence_round="floor"),
    "apple": Family("apple", cadence_from_watch=True),
}
#: Garmin products of the ``garmin_wrist_nonzero`` family (FIT ``garmin_product`` names).
NONZERO_CADENCE_PRODUCTS = frozenset({"fr235"})
#: COROS products with a family of their own: product name as the file writes it, or number.
COROS_PRODUCTS = {
    "coros pace 2": "coros_pace2",
    "802": "coros_pace2",
    "coros pace 4": "coros_pace4",
    "806": "coros_pace4",
}


def family(manufacturer: str | None, product: str | None) -> Family:
    """The averaging family of a file's ``manufacturer`` and ``product`` names."""
    man = (manufacturer or "").lower()
    prod = (product or "").lower()
    if "apple" in prod or "apple" in man:
        return FAMILIES["apple"]
    if man in ("garmin", "dynastream", "dynastream_oem"):
        if prod in NONZERO_CADENCE_PRODUCTS:
            return FAMILIES["garmin_wrist_nonzero"]
        return FAMILIES["garmin_fr70" if prod == "fr70" else "garmin"]
    if man.startswith("coros"):
        return FAMILIES[COROS_PRODUCTS.get(prod, "coros")]
    if man in FAMILIES:
        return FAMILIES[man]
    return FAMILIES["garmin"]
