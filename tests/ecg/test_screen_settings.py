"""``ScreeningSettings``: defaults, TOML tables, validation naming the key, finding value objects."""

from __future__ import annotations

import tomllib

import pytest

from ecg.errors import EcgValueError
from ecg.findings import Finding, FindingCode, format_clock
from ecg.settings import PolicyKey, ScreeningSettings


def test_default_policy_matches_the_brief():
    s = ScreeningSettings()
    stat = {k.value for k, v in s.policy.items() if v == "stat"}
    urgent = {k.value for k, v in s.policy.items() if v == "urgent"}
    assert stat == {"VT", "ASYSTOLE", "PAUSE_LONG", "EXTREME_BRADY", "EXTREME_TACHY"}
    assert urgent == {"AF", "PAUSE", "BRADY", "TACHY", "PVC_FREQUENT", "QTC_PROLONGED", "UNREADABLE", "LEAD_OFF", "VT_SLOW"}
    assert s.priority_of("PVC") == "routine"
    assert (s.pause_s, s.pause_stat_s, s.asystole_s, s.qtc_ms) == (2.0, 3.0, 4.0, 500.0)


def test_from_toml_table_overrides():
    table = tomllib.loads('pause_stat_s = 3.5\nqtc_formula = "bazett"\n[policy]\nAF = "stat"\nPVC = "urgent"\n')
    s = ScreeningSettings.from_mapping(table)
    assert s.pause_stat_s == 3.5 and s.qtc_formula.value == "bazett"
    assert s.priority_of(FindingCode.AF) == "stat" and s.priority_of(PolicyKey.PVC) == "urgent"
    assert s.priority_of("VT") == "stat"  # untouched keys keep their default
    assert ScreeningSettings.from_mapping(s.to_dict()) == s


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"pause_stat": 3.0}, "'pause_stat'"),
        ({"policy": {"AFIB": "stat"}}, "'AFIB'"),
        ({"policy": {"AF": "asap"}}, "AF"),
        ({"policy": "stat"}, "policy"),
        ({"vt_slow_rate_bpm": 110.0}, "vt_slow_rate_bpm"),
        ({"brady_bpm": -1}, "brady_bpm"),
        ({"brady_bpm": "fifty"}, "brady_bpm"),
        ({"tachy_bpm": 40}, "extreme_brady_bpm < brady_bpm"),
        ({"pause_s": 4.0}, "pause_s"),
        ({"vt_min_beats": 1}, "vt_min_beats"),
        ({"pvc_frequent_burden": 2.0}, "pvc_frequent_burden"),
        ({"qtc_formula": "hodges"}, "qtc_formula"),
    ],
)
def test_invalid_tables_name_the_key(table, match):
    with pytest.raises(EcgValueError, match=match):
        ScreeningSettings.from_mapping(table)


def test_settings_are_frozen():
    s = ScreeningSettings()
    with pytest.raises(AttributeError):
        s.pause_s = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.policy[PolicyKey.AF] = "stat"  # type: ignore[index]


def test_finding_values_and_validation():
    f = Finding("VT", 12.0, 14.5, leads=("MLII",), values={"n_beats": 7, "rate_bpm": 181.6}, confidence=0.9)
    assert f.code is FindingCode.VT and f.duration_s == 2.5
    d = f.to_dict()
    assert d["code"] == "VT" and d["n_beats"] == 7 and d["rate_bpm"] == 181.6 and d["leads"] == ["MLII"]
    with pytest.raises(TypeError):
        f.values["n_beats"] = 3  # type: ignore[index]
    with pytest.raises(EcgValueError, match="start_s"):
        Finding(FindingCode.AF, 5.0, 1.0)
    with pytest.raises(EcgValueError, match="confidence"):
        Finding(FindingCode.AF, 0.0, 1.0, confidence=1.5)
    with pytest.raises(ValueError):
        Finding("AFIB", 0.0, 1.0)
    assert format_clock(751.9) == "00:12:31" and format_clock(3 * 3600 + 5) == "03:00:05"
