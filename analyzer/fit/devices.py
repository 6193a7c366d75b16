"""Which sensors and developer apps a FIT file's running data came from.

Stryd developer fields are matched on the application id and the field number, never on the
field names (those vary between app versions and collide with native names).

Where the running dynamics came from (:func:`dynamics_source`) is decided by what actually sent
them, in this order:

1. no native dynamics: Stryd, when Stryd developer fields (or a Stryd-written file) gave ground
   time / oscillation or any other Stryd column; else none;
2. a Garmin Running Dynamics Pod in ``device_info``: the pod;
3. a Garmin strap that measures dynamics (HRM-Run, HRM-Tri, HRM-Pro, HRM 600...): the strap;
4. a Stryd pod in ``device_info`` (any device type: foot pod, power, running dynamics) or a file
   written by Stryd: Stryd (a watch records a Stryd pod's ground time and oscillation in its
   native fields when no strap sends them);
5. another sensor announced as ANT+ running dynamics (device type 30): a chest strap;
6. a Garmin watch with oscillation or contact time and no sensor listed at all (fenix 2 era
   files omit the HRM-Run from ``device_info``): a chest strap;
7. otherwise the watch (wrist). A heart-rate-only strap (Polar, Wahoo...) never counts as the
   source: it sends no running dynamics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.fit.columns import Columns
from analyzer.fit.messages import (
    DEVELOPER_DATA_ID,
    DEVICE_INFO,
    FIELD_DESCRIPTION,
    RECORD,
    FitMessages,
)
from analyzer.fit.names import as_int, enum_name, product_name
from analyzer.schema import DYNAMICS_COLUMNS

#: Stryd Connect IQ application ids (legacy Stryd app; "Stryd Zones / Power Zone" data field),
#: as seen in public Stryd FIT files and GarminDb's Stryd plugin.
STRYD_APP_IDS = frozenset(
    {"660a581e-5301-460c-8f2f-034c8b6dc90f", "18fb2cf0-1a4b-430d-ad66-988c847421f4"}
)
#: Stryd developer field numbers -> contract columns (checked against the
#: field descriptions of the corpus files written by the legacy app and by Stryd pods).
STRYD_FIELDS = {
    8: "form_power_w",
    9: "leg_spring_stiffness_kn_m",
    11: "air_power_w",
    24: "impact_loading_rate_bw_s",
}
#: Stryd developer fields that copy a native running-dynamics field: number -> (contract
#: column, factor to contract units). Ground Time is in ms and Vertical Oscillation in cm in
#: every Stryd file of the corpus (field descriptions of FR920xt-with-Stryd.fit,
#: 3386684871.fit, 20181108_run_garmin_fenix_3_hr.fit, mornindew-broken.fit,
#: support-001885-rs-pronation.fit; research D.4). The watch's native field takes precedence:
#: Stryd's copy is used only for a column the file has no native values for (as Runalyze does).
STRYD_DYNAMICS_FIELDS = {
    3: ("stance_time_ms", 1.0),
    4: ("vertical_oscillation_mm", 10.0),
}
#: Stryd developer field carrying running power [W].
STRYD_POWER_FIELD = 0
#: ANT+ device type of a running-dynamics data source (the ANT+ Running Dynamics profile);
#: device_info.device_type of HRM-Run/Tri/Pro entries that carry dynamics.
ANT_RUNNING_DYNAMICS = 30
#: Garmin products that measure running dynamics on the chest (FIT profile ``garmin_product``).
DYNAMICS_STRAPS = frozenset(
    {
        "hrm_run",
        "hrm_tri",
        "hrm4_run",
        "hrm_pro",
        "hrm_pro_plus",
        "hrm_fit",
        "hrm_600",
        "hrm_run_single_byte_product_id",
        "hrm_tri_single_byte_product_id",
        "hrm4_run_single_byte_product_id",
    }
)
#: Garmin products that measure running dynamics at the waist.
DYNAMICS_PODS = frozenset({"running_dynamics_pod"})


def _fields(msgs: FitMessages, mesg_num: int, *keys) -> list[list]:
    """The values of columns ``keys`` of a message table, one list per key: numbers, strings,
    and None for a missing value (NaN or None) or an absent column.

    (What the rules below read of ``row.get(key)`` of :meth:`pandas.DataFrame.iterrows`,
    without building a Series per row: they treat NaN and None alike.)
    """
    cols = Columns.of(msgs, mesg_num)
    return [cols.values(key) for key in keys]


#: Columns of the developer fields table.
DEVELOPER_FIELD_COLUMNS = (
    "developer_data_index",
    "application_id",
    "field_number",
    "name",
    "units",
    "column",
)


def developer_field_rows(msgs: FitMessages, stryd_device: bool) -> list[tuple]:
    """Developer field descriptions in file order, one tuple of
    :data:`DEVELOPER_FIELD_COLUMNS` values each, with the contract column each Stryd field
    maps to (None for the others).

    The application id of a developer data index is the last ``developer_data_id`` written for
    it. Repeated descriptions of one (index, field number) are all listed:
    :func:`latest_descriptions` keeps the last one, as :func:`developer_fields` does.
    """
    if Columns.of(msgs, FIELD_DESCRIPTION).empty:
        return []
    apps: dict[int, str | None] = {}
    for idx, app in zip(*_fields(msgs, DEVELOPER_DATA_ID, 3, 1), strict=True):
        idx = as_int(idx)
        if idx is not None:
            apps[idx] = app if isinstance(app, str) else None
    rows = []
    fields = _fields(msgs, FIELD_DESCRIPTION, 0, 1, 14, 3, 8)
    for idx, num, native, name, units in zip(*fields, strict=True):
        # (as_int: a field with a damaged base type counts as absent, as NaN does)
        idx, num, native = as_int(idx), as_int(num), as_int(native)
        if idx is None or num is None:
            continue
        app = apps.get(idx)
        stryd = (app in STRYD_APP_IDS) or stryd_device
        column = None
        if stryd and (native is None or native == RECORD):
            column = (
                STRYD_FIELDS.get(num)
                or STRYD_DYNAMICS_FIELDS.get(num, (None,))[0]
                or ("power_w" if num == STRYD_POWER_FIELD else None)
            )
        name = name if isinstance(name, str) else None
        units = units if isinstance(units, str) else None
        rows.append((idx, app, num, name, units, column))
    return rows


def latest_descriptions(rows: list[tuple]) -> list[tuple]:
    """The rows of :func:`developer_field_rows` without those that a later description of the
    same (index, field number) replaces (``drop_duplicates(keep="last")``), in file order."""
    last = {(r[0], r[2]): i for i, r in enumerate(rows)}
    return [r for i, r in enumerate(rows) if last[(r[0], r[2])] == i]


def developer_fields_frame(rows: list[tuple]) -> pd.DataFrame:
    """The developer fields table of :func:`developer_field_rows`' rows: one row per
    (developer data index, field number), a later description replacing an earlier one."""
    cols = list(DEVELOPER_FIELD_COLUMNS)
    if not rows:
        # (object columns, an empty RangeIndex)
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], columns=cols)
    # A later description of the same (index, number) replaces an earlier one.
    return df.drop_duplicates(["developer_data_index", "field_number"], keep="last").reset_index(
        drop=True
    )


def developer_fields(msgs: FitMessages, stryd_device: bool) -> pd.DataFrame:
    """Developer field descriptions, with the contract column each Stryd field maps to.

    The application id of a developer data index is the last ``developer_data_id`` written for
    it, and a later description of the same (index, field number) replaces an earlier one: a
    file that re-uses an index for another app mid-file (MultiSport-2019-11-24.fit: a W'bal app,
    then Stryd) is read with the last mapping throughout.
    """
    return developer_fields_frame(developer_field_rows(msgs, stryd_device))


def dynamics_source(
    msgs: FitMessages,
    records: pd.DataFrame | dict,
    manufacturer,
    stryd_apps: bool,
    product,
    *,
    native: bool | None = None,
) -> tuple[str, str | None]:
    """Where the running dynamics came from, and a readable sensor name (rules in the module doc).

    Parameters
    ----------
    records : pandas.DataFrame or dict
        The records in contract columns (a dict: the columns as arrays).
    native : bool, optional
        Whether the file has native dynamics fields; read from ``records`` when omitted (pass
        it when Stryd developer fields have already filled contract columns).
    """
    has_native = (
        native
        if native is not None
        else (any(_has_values(records, c) for c in DYNAMICS_COLUMNS) if len(records) else False)
    )
    sensors = []
    external = []  # makes of sensors paired over ANT/ANT+/Bluetooth (not the watch's own parts)
    # (each distinct device once, in file order: the rules below look for the first match)
    devices = dict.fromkeys(zip(*_fields(msgs, DEVICE_INFO, 2, 4, 27, 1, 25), strict=True))
    for manufacturer_id, product_id, product_string, device_type, source_type in devices:
        man = enum_name("manufacturer", manufacturer_id)
        sensors.append((man, product_name(man, product_id, product_string), device_type))
        if source_type is not None and not pd.isna(source_type) and int(source_type) in _PAIRED:
            external.append(man)
    stryd_pod = next((prod for man, prod, _ in sensors if man == "stryd"), None)
    stryd_name = "stryd foot pod"
    if not has_native:
        if stryd_apps or stryd_pod is not None or manufacturer == "stryd":
            listed = stryd_pod is not None or manufacturer == "stryd"
            return "stryd", stryd_name if listed else "stryd (Connect IQ fields)"
        return "none", None
    for man, prod, _ in sensors:
        if prod in DYNAMICS_PODS:
            return "pod", f"{man} {prod}"
    for man, prod, _ in sensors:
        if prod in DYNAMICS_STRAPS:
            return "chest_strap", f"{man} {prod}"
    if stryd_pod is not None:
        return "stryd", stryd_name
    if manufacturer == "stryd":
        return "stryd", stryd_name
    for man, prod, dtype in sensors:
        if dtype == ANT_RUNNING_DYNAMICS:
            return "chest_strap", None if man is None else f"{man} {prod}"
    chest_only = ("vertical_oscillation_mm", "stance_time_ms")
    if (
        manufacturer == "garmin"
        and not any(m not in (None, "garmin") for m in external)
        and any(_has_values(records, c) for c in chest_only)
    ):
        # Early Garmin files (fenix 2) do not list the HRM-Run in device_info; before wrist-based
        # dynamics, vertical oscillation and ground contact time came only from a strap or pod.
        # A listed heart-rate strap of another make rules that out: it sends no dynamics.
        return "chest_strap", None
    return "wrist", f"{manufacturer} {product}"


def _has_values(records, column: str) -> bool:
    """Whether ``records`` (a DataFrame, or its columns as a dict of arrays) holds a value in
    ``column`` (``records[column].notna().any()``)."""
    values = records[column]
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return bool(len(values)) and not np.isnan(values).all()
    return bool(pd.Series(values).notna().any())


#: device_info ``source_type`` values of paired sensors (FIT profile ``source_type``: ant,
#: antplus, bluetooth, bluetooth_low_energy); 5 = local is the watch's own parts.
_PAIRED = frozenset({0, 1, 2, 3})
