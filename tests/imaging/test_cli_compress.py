"""`teletriage imaging compress`: files, folders and zips in; one JSON line per file out; exit status."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from click.testing import CliRunner

from imaging import CompressionFailure, CompressionResult, compress_paths
from imaging.batch import output_path
from imaging.read import DicomSource
from workers.cli import main

from .test_transcode import FORMATS, make_dataset, random_stored


def _tree_hashes(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def upload(tmp_path: Path) -> Path:
    """An upload: a folder with a two-slice series and a text file, a zip with one good and one truncated image."""
    root = tmp_path / "upload"
    series = root / "study" / "CT"
    series.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(2):
        make_dataset(random_stored(rng, (1, 24, 24), 16, True), **FORMATS["s16"]).save_as(
            series / f"{i}.dcm", enforce_file_format=True
        )
    (root / "study" / "notes.txt").write_text("referral letter")
    good = io.BytesIO()
    make_dataset(random_stored(rng, (1, 16, 16, 3), 8, False), **FORMATS["u8"], photometric="RGB").save_as(
        good, enforce_file_format=True
    )
    with zipfile.ZipFile(root / "batch.zip", "w") as zf:
        zf.writestr("US/1.dcm", good.getvalue())
        zf.writestr("US/2.dcm", good.getvalue()[:-50])  # truncated
    return root


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_compress_folder_and_zip_reports_every_file(upload: Path, tmp_path: Path) -> None:
    before = _tree_hashes(upload)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["imaging", "compress", str(upload / "study"), str(upload / "batch.zip"), "--out", str(out),
               "--syntax", "htj2k", "--jobs", "1"]
    )
    assert result.exit_code == 1  # the text file and the truncated member failed
    lines = _lines(result.stdout)
    by_input = {str(line["input"]): line for line in lines}
    assert len(lines) == 5
    ok = [line for line in lines if "error" not in line]
    assert len(ok) == 3 and all(line["lossless_verified"] and line["transfer_syntax"] == "htj2k" for line in ok)
    assert by_input[str(upload / "study" / "CT" / "0.dcm")]["output"] == str(out / "CT" / "0.dcm")
    assert by_input[f"{upload / 'batch.zip'}!US/1.dcm"]["output"] == str(out / "batch" / "US" / "1.dcm")
    truncated = by_input[f"{upload / 'batch.zip'}!US/2.dcm"]
    assert "batch.zip!US/2.dcm" in str(truncated["error"]) and "truncated" in str(truncated["error"])
    assert "not DICOM" in str(by_input[str(upload / "study" / "notes.txt")]["error"])
    for line in ok:
        written = Path(str(line["output"]))
        assert written.stat().st_size == line["bytes_out"]
        assert pydicom.dcmread(written).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.201"
    assert _tree_hashes(upload) == before  # inputs untouched


def test_compress_all_good_exits_zero_with_process_pool(upload: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["imaging", "compress", str(upload / "study" / "CT"), "--out", str(out), "--jobs", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert [Path(str(line["output"])).name for line in lines] == ["0.dcm", "1.dcm"]
    assert all(line["transfer_syntax"] in ("htj2k", "jpegls") for line in lines)
    # a second run refuses to overwrite the outputs, file by file
    again = CliRunner().invoke(main, ["imaging", "compress", str(upload / "study" / "CT"), "--out", str(out)])
    assert again.exit_code == 1 and all("already exists" in str(line["error"]) for line in _lines(again.stdout))


def test_compress_paths_in_process_and_pool_agree(upload: Path, tmp_path: Path) -> None:
    one = list(compress_paths([upload / "study" / "CT"], tmp_path / "a", syntax="rle", jobs=1, batch_size=1))
    two = list(compress_paths([upload / "study" / "CT"], tmp_path / "b", syntax="rle", jobs=2, batch_size=1))
    assert all(isinstance(r, CompressionResult) for r in one + two)
    assert [r.bytes_out for r in one] == [r.bytes_out for r in two]
    for a, b in zip(one, two, strict=True):
        assert Path(a.output).read_bytes() == Path(b.output).read_bytes()


def test_failure_record_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "empty.dcm"
    bad.write_bytes(b"")
    (outcome,) = compress_paths([bad], tmp_path / "out", jobs=1)
    assert isinstance(outcome, CompressionFailure)
    assert outcome.to_dict() == {"input": str(bad), "error": f"{bad}: empty file (0 bytes)",
                                 "error_type": "DicomFormatError"}


def test_output_path_never_escapes_out_dir(tmp_path: Path) -> None:
    source = DicomSource(label="evil.zip!../../etc/x.dcm", path=tmp_path / "evil.zip", member="../../etc/x.dcm",
                         relative="evil/../../etc/x.dcm")
    assert output_path(source, tmp_path / "out") == tmp_path / "out" / "evil" / "etc" / "x.dcm"
