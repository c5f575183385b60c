from __future__ import annotations

import pickle

import pytest

from workers.errors import ConfigError
from workers.settings import PipelineSettings, Settings, load_settings


def test_defaults_and_toml_overrides(tmp_path):
    cfg = tmp_path / "centre.toml"
    cfg.write_text("[worklist]\nstat_turnaround_min = 20\n[pipeline]\necg_batch = 8\n[imaging]\nsyntax = \"rle\"\n")
    s = load_settings(cfg)
    assert s.worklist.stat_turnaround_min == 20
    assert s.pipeline.ecg_batch == 8 and s.pipeline.lab_batch == PipelineSettings().lab_batch
    assert s.imaging.syntax == "rle"
    assert load_settings(None).worklist.stat_turnaround_min == 30


def test_pickles_as_its_tables_and_revalidates(tmp_path):
    s = Settings.from_mapping({"worklist": {"urgent_turnaround_min": 120}, "ecg": {}})
    back = pickle.loads(pickle.dumps(s))
    assert back.worklist == s.worklist and back.ecg == s.ecg and back.imaging == s.imaging


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[radiology]\nx = 1\n", "radiology"),
        ("[worklist]\nstat_target = 5\n", "stat_target"),
        ("[pipeline]\necg_batch = 0\n", "ecg_batch"),
        ("[imaging]\nsyntax = \"jpeg-lossy\"\n", "syntax"),
        ("[ecg\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path, text, needle):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert needle in str(info.value) and "bad.toml" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
