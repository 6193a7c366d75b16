"""Which sensors and developer apps a FIT file's running data came from.

Stryd developer fields are matched on the application id and the field number, never on the
field names (those vary between app versions and collide with native names). The dynamics source
is read from ``device_info``: Garmin's running-dynamics straps and pod by product, ANT+ device
type 30 (running dynamics), files written by a Stryd pod, else the watch itself.
"""

from __future__ import annotations

import pandas as pd

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


def _fields(table: pd.DataFrame, *keys) -> list:
    """The values of columns ``keys`` of a message table, one sequence per key, as
    ``row.get(key)`` of :meth:`pandas.DataFrame.iterrows` gives them (None for an absent column).

    Reads the table's ``values`` array once, as ``iterrows`` does, without building a Series per
    row.
    """
    values = table.values
    columns = table.columns
    n = len(table)
    return [values[:, columns.get_loc(k)] if k in columns else [None] * n for k in keys]


def developer_fields(msgs: FitMessages, stryd_device: bool) -> pd.DataFrame:
    """Developer field descriptions, with the contract column each Stryd field maps to.

    The application id of a developer data index is the last ``developer_data_id`` written for
    it, and a later description of the same (index, field number) replaces an earlier one: a
    file that re-uses an index for another app mid-file (MultiSport-2019-11-24.fit: a W'bal app,
    then Stryd) is read with the last mapping throughout.
    """
    cols = ["developer_data_index", "application_id", "field_number", "name", "units", "column"]
    desc = msgs.table(FIELD_DESCRIPTION)
    if desc.empty:
        # (what the loop below gives without rows: object columns, an empty RangeIndex)
        return pd.DataFrame(columns=cols)
    ids = msgs.table(DEVELOPER_DATA_ID)
    apps: dict[int, str | None] = {}
    for idx, app in zip(*_fields(ids, 3, 1), strict=True):
        idx = as_int(idx)
        if idx is not None:
            apps[idx] = app if isinstance(app, str) else None
    rows = []
    for idx, num, native, name, units in zip(*_fields(desc, 0, 1, 14, 3, 8), strict=True):
        # (as_int: a field with a damaged base type counts as absent, as NaN does)
        idx, num, native = as_int(idx), as_int(num), as_int(native)
        if idx is None or num is None:
            continue
        app = apps.get(idx)
        stryd = (app in STRYD_APP_IDS) or stryd_device
        column = None
        if stryd and (native is None or native == RECORD):
            column = STRYD_FIELDS.get(num) or ("power_w" if num == STRYD_POWER_FIELD else None)
        rows.append(
            {
                "developer_data_index": idx,
                "application_id": app,
                "field_number": num,
                "name": name if isinstance(name, str) else None,
                "units": units if isinstance(units, str) else None,
                "column": column,
            }
        )
    df = pd.DataFrame(rows, columns=cols)
    # A later description of the same (index, number) replaces an earlier one.
    return df.drop_duplicates(["developer_data_index", "field_number"], keep="last").reset_index(
        drop=True
    )


def dynamics_source(
    msgs: FitMessages, records: pd.DataFrame, manufacturer, stryd_apps: bool, product
) -> tuple[str, str | None]:
    """Where the running dynamics came from, and a readable sensor name."""
    has_native = any(records[c].notna().any() for c in DYNAMICS_COLUMNS) if len(records) else False
    if not has_native:
        return ("stryd", "stryd") if stryd_apps else ("none", None)
    dev = msgs.table(DEVICE_INFO)
    sensors = []
    for manufacturer_id, product_id, product_string, device_type in zip(
        *_fields(dev, 2, 4, 27, 1), strict=True
    ):
        man = enum_name("manufacturer", manufacturer_id)
        sensors.append((man, product_name(man, product_id, product_string), device_type))
    for man, prod, _ in sensors:
        if prod in DYNAMICS_PODS:
            return "pod", f"{man} {prod}"
    for man, prod, _ in sensors:
        if prod in DYNAMICS_STRAPS:
            return "chest_strap", f"{man} {prod}"
    for man, prod, dtype in sensors:
        if dtype == ANT_RUNNING_DYNAMICS and man == "stryd":
            return "stryd", f"{man} {prod}"
    if manufacturer == "stryd":
        return "stryd", f"stryd {product}"
    for man, prod, dtype in sensors:
        if dtype == ANT_RUNNING_DYNAMICS:
            return "chest_strap", None if man is None else f"{man} {prod}"
    chest_only = ("vertical_oscillation_mm", "stance_time_ms")
    if manufacturer == "garmin" and any(records[c].notna().any() for c in chest_only):
        # Early Garmin files (fenix 2) do not list the HRM-Run in device_info; before wrist-based
        # dynamics, vertical oscillation and ground contact time came only from a strap or pod.
        return "chest_strap", None
    return "wrist", f"{manufacturer} {product}"
