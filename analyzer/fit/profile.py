"""The small part of the FIT profile the vectorised decoder needs.

Generated at development time from the Garmin FIT SDK profile shipped in ``garmin_fit_sdk``
(profile 21.218) by ``benchmarks/gen_fitprofile.py``; the test suite checks
it against :func:`analyzer.fit.messages.profile_scale_offset`, the function the reference decoder
uses. Keeping a literal table keeps the fast path's import cheap and free of the SDK.

Base types follow the FIT protocol's table (FIT SDK, "Base Types"); a definition's base type
byte is looked up whole, so an unknown byte (or one missing its endian-ability bit) is read as
``byte``, as fitparse does.
"""

from __future__ import annotations

#: FIT base types by definition byte: (name, size [bytes], numpy kind, invalid value).
#: ``None`` invalid means "not a number" (floats) or "all bytes 0xFF" (byte).
BASE_TYPES: dict[int, tuple[str, int, str, int | None]] = {
    0x00: ("enum", 1, "u", 0xFF),
    0x01: ("sint8", 1, "i", 0x7F),
    0x02: ("uint8", 1, "u", 0xFF),
    0x83: ("sint16", 2, "i", 0x7FFF),
    0x84: ("uint16", 2, "u", 0xFFFF),
    0x85: ("sint32", 4, "i", 0x7FFFFFFF),
    0x86: ("uint32", 4, "u", 0xFFFFFFFF),
    0x07: ("string", 1, "S", None),
    0x88: ("float32", 4, "f", None),
    0x89: ("float64", 8, "f", None),
    0x0A: ("uint8z", 1, "u", 0),
    0x8B: ("uint16z", 2, "u", 0),
    0x8C: ("uint32z", 4, "u", 0),
    0x0D: ("byte", 1, "B", None),
    0x8E: ("sint64", 8, "i", 0x7FFFFFFFFFFFFFFF),
    0x8F: ("uint64", 8, "u", 0xFFFFFFFFFFFFFFFF),
    0x90: ("uint64z", 8, "u", 0),
}

#: The base type used for unknown base type bytes.
BYTE = 0x0D

#: ``raw / scale - offset`` per message and field number, for the wanted messages; fields not
#: listed have scale 1 and offset 0 (so they stay the raw number).
SCALE_OFFSET: dict[int, dict[int, tuple[float, float]]] = {
    34: {0: (1000, 0)},  # activity: total_timer_time
    18: {  # session
        7: (1000, 0),  # total_elapsed_time
        8: (1000, 0),  # total_timer_time
        9: (100, 0),  # total_distance
        14: (1000, 0),  # avg_speed
        15: (1000, 0),  # max_speed
        24: (10, 0),  # total_training_effect
        35: (10, 0),  # training_stress_score
        36: (1000, 0),  # intensity_factor
        41: (10, 0),  # avg_stroke_count
        42: (100, 0),  # avg_stroke_distance
        44: (100, 0),  # pool_length
        49: (5, 500),  # avg_altitude
        50: (5, 500),  # max_altitude
        52: (100, 0),  # avg_grade
        53: (100, 0),  # avg_pos_grade
        54: (100, 0),  # avg_neg_grade
        55: (100, 0),  # max_pos_grade
        56: (100, 0),  # max_neg_grade
        59: (1000, 0),  # total_moving_time
        60: (1000, 0),  # avg_pos_vertical_speed
        61: (1000, 0),  # avg_neg_vertical_speed
        62: (1000, 0),  # max_pos_vertical_speed
        63: (1000, 0),  # max_neg_vertical_speed
        65: (1000, 0),  # time_in_hr_zone
        66: (1000, 0),  # time_in_speed_zone
        67: (1000, 0),  # time_in_cadence_zone
        68: (1000, 0),  # time_in_power_zone
        69: (1000, 0),  # avg_lap_time
        71: (5, 500),  # min_altitude
        78: (1000, 0),  # active_time
        79: (10, 0),  # avg_strokes_per_length
        87: (100, 0),  # max_ball_speed
        88: (100, 0),  # avg_ball_speed
        89: (10, 0),  # avg_vertical_oscillation
        90: (100, 0),  # avg_stance_time_percent
        91: (10, 0),  # avg_stance_time
        92: (128, 0),  # avg_fractional_cadence
        93: (128, 0),  # max_fractional_cadence
        94: (128, 0),  # total_fractional_cycles
        95: (100, 0),  # avg_total_hemoglobin_conc
        96: (100, 0),  # min_total_hemoglobin_conc
        97: (100, 0),  # max_total_hemoglobin_conc
        98: (10, 0),  # avg_saturated_hemoglobin_percent
        99: (10, 0),  # min_saturated_hemoglobin_percent
        100: (10, 0),  # max_saturated_hemoglobin_percent
        101: (2, 0),  # avg_left_torque_effectiveness
        102: (2, 0),  # avg_right_torque_effectiveness
        103: (2, 0),  # avg_left_pedal_smoothness
        104: (2, 0),  # avg_right_pedal_smoothness
        105: (2, 0),  # avg_combined_pedal_smoothness
        112: (1000, 0),  # time_standing
        116: (0.7111111, 0),  # avg_left_power_phase
        117: (0.7111111, 0),  # avg_left_power_phase_peak
        118: (0.7111111, 0),  # avg_right_power_phase
        119: (0.7111111, 0),  # avg_right_power_phase_peak
        124: (1000, 0),  # enhanced_avg_speed
        125: (1000, 0),  # enhanced_max_speed
        126: (5, 500),  # enhanced_avg_altitude
        127: (5, 500),  # enhanced_min_altitude
        128: (5, 500),  # enhanced_max_altitude
        131: (2, 0),  # lev_battery_consumption
        132: (100, 0),  # avg_vertical_ratio
        133: (100, 0),  # avg_stance_time_balance
        134: (10, 0),  # avg_step_length
        137: (10, 0),  # total_anaerobic_training_effect
        139: (1000, 0),  # avg_vam
        140: (1000, 0),  # avg_depth
        141: (1000, 0),  # max_depth
        168: (65536, 0),  # training_load_peak
        169: (100, 0),  # enhanced_avg_respiration_rate
        170: (100, 0),  # enhanced_max_respiration_rate
        180: (100, 0),  # enhanced_min_respiration_rate
        199: (100, 0),  # total_fractional_ascent
        200: (100, 0),  # total_fractional_descent
        208: (100, 0),  # avg_core_temperature
        209: (100, 0),  # min_core_temperature
        210: (100, 0),  # max_core_temperature
        211: (1000, 0),  # avg_grade_adjusted_speed
    },
    19: {  # lap
        7: (1000, 0),  # total_elapsed_time
        8: (1000, 0),  # total_timer_time
        9: (100, 0),  # total_distance
        13: (1000, 0),  # avg_speed
        14: (1000, 0),  # max_speed
        37: (100, 0),  # avg_stroke_distance
        42: (5, 500),  # avg_altitude
        43: (5, 500),  # max_altitude
        45: (100, 0),  # avg_grade
        46: (100, 0),  # avg_pos_grade
        47: (100, 0),  # avg_neg_grade
        48: (100, 0),  # max_pos_grade
        49: (100, 0),  # max_neg_grade
        52: (1000, 0),  # total_moving_time
        53: (1000, 0),  # avg_pos_vertical_speed
        54: (1000, 0),  # avg_neg_vertical_speed
        55: (1000, 0),  # max_pos_vertical_speed
        56: (1000, 0),  # max_neg_vertical_speed
        57: (1000, 0),  # time_in_hr_zone
        58: (1000, 0),  # time_in_speed_zone
        59: (1000, 0),  # time_in_cadence_zone
        60: (1000, 0),  # time_in_power_zone
        62: (5, 500),  # min_altitude
        70: (1000, 0),  # active_time
        77: (10, 0),  # avg_vertical_oscillation
        78: (100, 0),  # avg_stance_time_percent
        79: (10, 0),  # avg_stance_time
        80: (128, 0),  # avg_fractional_cadence
        81: (128, 0),  # max_fractional_cadence
        82: (128, 0),  # total_fractional_cycles
        84: (100, 0),  # avg_total_hemoglobin_conc
        85: (100, 0),  # min_total_hemoglobin_conc
        86: (100, 0),  # max_total_hemoglobin_conc
        87: (10, 0),  # avg_saturated_hemoglobin_percent
        88: (10, 0),  # min_saturated_hemoglobin_percent
        89: (10, 0),  # max_saturated_hemoglobin_percent
        90: (10, 0),  # avg_strokes_per_length
        91: (2, 0),  # avg_left_torque_effectiveness
        92: (2, 0),  # avg_right_torque_effectiveness
        93: (2, 0),  # avg_left_pedal_smoothness
        94: (2, 0),  # avg_right_pedal_smoothness
        95: (2, 0),  # avg_combined_pedal_smoothness
        98: (1000, 0),  # time_standing
        102: (0.7111111, 0),  # avg_left_power_phase
        103: (0.7111111, 0),  # avg_left_power_phase_peak
        104: (0.7111111, 0),  # avg_right_power_phase
        105: (0.7111111, 0),  # avg_right_power_phase_peak
        110: (1000, 0),  # enhanced_avg_speed
        111: (1000, 0),  # enhanced_max_speed
        112: (5, 500),  # enhanced_avg_altitude
        113: (5, 500),  # enhanced_min_altitude
        114: (5, 500),  # enhanced_max_altitude
        117: (2, 0),  # lev_battery_consumption
        118: (100, 0),  # avg_vertical_ratio
        119: (100, 0),  # avg_stance_time_balance
        120: (10, 0),  # avg_step_length
        121: (1000, 0),  # avg_vam
        122: (1000, 0),  # avg_depth
        123: (1000, 0),  # max_depth
        136: (100, 0),  # enhanced_avg_respiration_rate
        137: (100, 0),  # enhanced_max_respiration_rate
        156: (100, 0),  # total_fractional_ascent
        157: (100, 0),  # total_fractional_descent
        158: (100, 0),  # avg_core_temperature
        159: (100, 0),  # min_core_temperature
        160: (100, 0),  # max_core_temperature
        161: (1000, 0),  # avg_grade_adjusted_speed
    },
    20: {  # record
        2: (5, 500),  # altitude
        5: (100, 0),  # distance
        6: (1000, 0),  # speed
        9: (100, 0),  # grade
        11: (1000, 0),  # time_from_course
        12: (100, 0),  # cycle_length
        17: (16, 0),  # speed_1s
        32: (1000, 0),  # vertical_speed
        39: (10, 0),  # vertical_oscillation
        40: (100, 0),  # stance_time_percent
        41: (10, 0),  # stance_time
        43: (2, 0),  # left_torque_effectiveness
        44: (2, 0),  # right_torque_effectiveness
        45: (2, 0),  # left_pedal_smoothness
        46: (2, 0),  # right_pedal_smoothness
        47: (2, 0),  # combined_pedal_smoothness
        48: (128, 0),  # time128
        51: (100, 0),  # ball_speed
        52: (256, 0),  # cadence256
        53: (128, 0),  # fractional_cadence
        54: (100, 0),  # total_hemoglobin_conc
        55: (100, 0),  # total_hemoglobin_conc_min
        56: (100, 0),  # total_hemoglobin_conc_max
        57: (10, 0),  # saturated_hemoglobin_percent
        58: (10, 0),  # saturated_hemoglobin_percent_min
        59: (10, 0),  # saturated_hemoglobin_percent_max
        69: (0.7111111, 0),  # left_power_phase
        70: (0.7111111, 0),  # left_power_phase_peak
        71: (0.7111111, 0),  # right_power_phase
        72: (0.7111111, 0),  # right_power_phase_peak
        73: (1000, 0),  # enhanced_speed
        78: (5, 500),  # enhanced_altitude
        81: (2, 0),  # battery_soc
        83: (100, 0),  # vertical_ratio
        84: (100, 0),  # stance_time_balance
        85: (10, 0),  # step_length
        87: (100, 0),  # cycle_length16
        92: (1000, 0),  # depth
        93: (1000, 0),  # next_stop_depth
        108: (100, 0),  # enhanced_respiration_rate
        116: (100, 0),  # current_stress
        124: (100, 0),  # pressure_sac
        125: (100, 0),  # volume_sac
        126: (100, 0),  # rmv
        127: (1000, 0),  # ascent_rate
        129: (100, 0),  # po2
        139: (100, 0),  # core_temperature
    },
    23: {  # device_info
        5: (100, 0),  # software_version
        10: (256, 0),  # battery_voltage
    },
}

#: record.compressed_speed_distance (20/8): 12 bits of speed [1/100 m/s], then 12 bits of
#: distance [1/16 m] accumulated across records (FIT profile components of field 8).
RECORD_MESG = 20
COMPRESSED_SPEED_DISTANCE = 8
CSD_SPEED_FIELD, CSD_SPEED_SCALE = 6, 100
CSD_DISTANCE_FIELD, CSD_DISTANCE_SCALE, CSD_DISTANCE_BITS = 5, 16, 12

#: Field number of ``timestamp`` in every message (FIT profile).
TIMESTAMP_FIELD = 253
#: Bits of the time offset in a compressed-timestamp header (FIT protocol).
COMPRESSED_TIME_BITS = 5


def scale_offset(mesg_num: int, field_num: int) -> tuple[float, float]:
    """Scale and offset of a native field (1 and 0 when the profile has none)."""
    return SCALE_OFFSET.get(mesg_num, {}).get(field_num, (1, 0))
