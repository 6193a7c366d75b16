"""The watch and sensors of a simulated run, as the FIT messages that describe them.

:class:`Device` names the watch, the chest strap and an optional Stryd pod;
:func:`device_messages` writes them as ``device_info`` messages in the order Garmin watches use
(the watch, then the strap once as heart-rate sensor and once as running-dynamics sensor, then
the pod), and :func:`stryd_descriptions` the ``developer_data_id`` + ``field_description`` of
Stryd's Connect IQ fields. Used by :mod:`analyzer.fit.writer`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

#: Stryd's legacy Connect IQ application id.
STRYD_APP_ID = uuid.UUID("660a581e-5301-460c-8f2f-034c8b6dc90f")
#: Stryd developer field numbers: Form Power [W], Leg Spring Stiffness [kN/m].
STRYD_FORM_POWER_FIELD = 8
STRYD_LSS_FIELD = 9
#: FIT base type ids (FIT protocol): uint16 and float32.
_UINT16 = 0x84
_FLOAT32 = 0x88

#: FIT global message numbers (FIT profile).
FILE_ID, FILE_CREATOR, SPORT, SESSION, LAP = 0, 49, 12, 18, 19
RECORD, EVENT, DEVICE_INFO, ACTIVITY = 20, 21, 23, 34
FIELD_DESCRIPTION, DEVELOPER_DATA_ID = 206, 207

#: Garmin product ids (FIT profile ``garmin_product``) and device types.
PRODUCTS = {
    "fr965": 4315,
    "fr235": 2431,
    "fenix6": 3290,
    "fr255": 3992,
    "fr945": 3113,
    "fr55": 3869,
    "hrm_pro": 3300,
    "hrm_pro_plus": 4130,
    "hrm_run": 1752,
    "running_dynamics_pod": 2593,
}
ANTPLUS_HEART_RATE = 120
ANTPLUS_RUNNING_DYNAMICS = 30  # written by Garmin watches for the strap's dynamics channel
ANTPLUS_STRIDE_SPEED_DISTANCE = 124
#: Stryd's FIT manufacturer id and the product id Stryd pods report as a foot pod.
STRYD_MANUFACTURER = 95
STRYD_PRODUCT = 4660


@dataclass(frozen=True)
class Device:
    """The watch and sensors a run was recorded with.

    Parameters
    ----------
    watch : str
        Garmin product name (a key of :data:`PRODUCTS`).
    watch_serial : int
    strap : str or None
        Chest strap product name; it provides heart rate and running dynamics.
    strap_serial : int
    stryd_serial : int or None
        Serial of a Stryd foot pod; when set, Stryd developer fields are written.
    software_version : float
        Watch firmware version.
    pod_serial : int or None
        Serial of a Garmin Running Dynamics Pod (waist clip); when set it is listed as the
        running-dynamics sensor (heart rate then comes from ``strap`` or the wrist).
    """

    watch: str = "fr965"
    watch_serial: int = 3_412_345_678
    strap: str | None = "hrm_pro"
    strap_serial: int = 1_234_567
    stryd_serial: int | None = None
    software_version: float = 21.19
    pod_serial: int | None = None


def stryd_descriptions() -> dict:
    dev_id = {
        "mesg_num": DEVELOPER_DATA_ID,
        "application_id": list(STRYD_APP_ID.bytes),
        "developer_data_index": 0,
        "application_version": 148,
    }
    form = {
        "mesg_num": FIELD_DESCRIPTION,
        "developer_data_index": 0,
        "field_definition_number": STRYD_FORM_POWER_FIELD,
        "fit_base_type_id": _UINT16,
        "field_name": "Form Power",
        "units": "Watts",
        "native_mesg_num": RECORD,
    }
    lss = {
        "mesg_num": FIELD_DESCRIPTION,
        "developer_data_index": 0,
        "field_definition_number": STRYD_LSS_FIELD,
        "fit_base_type_id": _FLOAT32,
        "field_name": "Leg Spring Stiffness",
        "units": "kN/m",
        "native_mesg_num": RECORD,
    }
    return {"dev_id": dev_id, "form_power": form, "leg_spring_stiffness": lss}


def device_messages(device: Device, t0: int) -> list[dict]:
    msgs = [
        {
            "mesg_num": DEVICE_INFO,
            "timestamp": t0,
            "device_index": 0,  # creator
            "manufacturer": "garmin",
            "product": PRODUCTS[device.watch],
            "serial_number": device.watch_serial,
            "software_version": device.software_version,
            "source_type": "local",
        }
    ]
    if device.strap:
        for idx, dtype in ((1, ANTPLUS_HEART_RATE), (2, ANTPLUS_RUNNING_DYNAMICS)):
            msgs.append(
                {
                    "mesg_num": DEVICE_INFO,
                    "timestamp": t0,
                    "device_index": idx,
                    "device_type": dtype,
                    "manufacturer": "garmin",
                    "product": PRODUCTS[device.strap],
                    "serial_number": device.strap_serial,
                    "software_version": 4.2,
                    "ant_device_number": device.strap_serial % 65535 + 1,
                    "source_type": "antplus",
                }
            )
    if device.pod_serial is not None:
        msgs.append(
            {
                "mesg_num": DEVICE_INFO,
                "timestamp": t0,
                "device_index": 4,
                "device_type": ANTPLUS_RUNNING_DYNAMICS,
                "manufacturer": "garmin",
                "product": PRODUCTS["running_dynamics_pod"],
                "serial_number": device.pod_serial,
                "software_version": 3.1,
                "ant_device_number": device.pod_serial % 65535 + 1,
                "source_type": "antplus",
            }
        )
    if device.stryd_serial is not None:
        msgs.append(
            {
                "mesg_num": DEVICE_INFO,
                "timestamp": t0,
                "device_index": 3,
                "device_type": ANTPLUS_STRIDE_SPEED_DISTANCE,
                "manufacturer": STRYD_MANUFACTURER,
                "product": STRYD_PRODUCT,
                "serial_number": device.stryd_serial,
                "software_version": 1.48,
                "ant_device_number": device.stryd_serial % 65535 + 1,
                "source_type": "antplus",
            }
        )
    return msgs
