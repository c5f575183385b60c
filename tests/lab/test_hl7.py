"""HL7 v2 ORU^R01 reader: realistic messages, framing, batches, escapes, and malformed input."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import hl7
import pytest

from lab import LabFormatError, parse_hl7, read
from lab.hl7v2 import _get, _ListFactory, split_messages

MSH = "MSH|^~\\&|LIS|CLINIC-09|TT|CITY|20260101120000||ORU^R01|MSG1|P|2.4"
PID = "PID|1||P9^^^CITY-MPI^MR||Doe^Jane||19800101|F"
OBR = "OBR|1|PL9|FI9|24323-8^CMP^LN|||20260101100000"


def _msg(*obx: str, msh: str = MSH, pid: str = PID, obr: str = OBR) -> str:
    return "\r".join([msh, pid, obr, *obx]) + "\r"


def test_single_message_sample(samples: Path) -> None:
    (report,) = read(samples / "oru_critical_potassium.hl7")
    assert report.patient.id == "P-1001"
    assert report.patient.issuer == "urn:oid:2.16.840.1.113883.3.9999"   # CX.4 universal id (ISO)
    assert report.patient.sex == "F"
    assert report.institution == "CLINIC-07"
    assert (report.order.placer, report.order.filler) == ("PL-77123", "FL-2026-0310-0042")
    assert report.specimen_time == datetime(2026, 3, 10, 7, 15)          # +0100 -> naive UTC
    assert len(report.results) == 10
    k = report.results[1]
    assert (k.loinc, k.value, k.unit, k.flag, k.reference_range.text) == ("2823-3", 6.9, "mmol/L", "H", "3.5-5.1")
    assert report.results[9].unit == "10*3/uL"
    assert report.source_format == "hl7v2" and report.message_id == "CL07-000815"


def test_batch_with_several_messages_and_obr_groups(samples: Path) -> None:
    reports = read(samples / "oru_batch.hl7")
    assert [len(r.results) for r in reports] == [1, 4, 6]
    assert [r.order.filler for r in reports] == ["FL-C03-9001", "FL-C03-9002", "FL-C03-9010"]
    cbc = reports[2]
    assert cbc.patient.id == "P-2002" and cbc.patient.sex == "M"
    trop = cbc.results[4]
    assert (trop.value, trop.comparator, trop.value_type) == (3.0, "<", "SN")
    colour = cbc.results[5]
    assert colour.value is None and colour.text == "Yellow ^ clear"     # \S\ unescaped


def test_mllp_framing(samples: Path) -> None:
    raw = (samples / "oru_mllp.hl7").read_bytes()
    assert raw.startswith(b"\x0b") and raw.endswith(b"\x1c\r")
    (report,) = parse_hl7(raw)
    assert [r.loinc for r in report.results] == ["2823-3", "2160-0"]


def test_line_endings_and_latin1_bytes() -> None:
    text = _msg("OBX|1|NM|2823-3^Kalium (Serum) \\T\\ Blut^LN||4.1|mmol/L|3.5-5.1|N|||F")
    for variant in (text, text.replace("\r", "\n"), text.replace("\r", "\r\n")):
        (report,) = parse_hl7(variant)
        assert report.results[0].value == 4.1
    latin = _msg("OBX|1|NM|2823-3^Kalium größer^LN||4.1|mmol/L|||||F").encode("latin-1")
    (report,) = parse_hl7(latin)
    assert report.results[0].name == "Kalium größer"
    (report,) = parse_hl7(text)
    assert report.results[0].name == "Kalium (Serum) & Blut"


def test_repetitions_choose_the_mr_identifier() -> None:
    pid = "PID|1||AB123^^^NHS^NH~P77^^^CITY-MPI^MR||Doe^Jane||19800101|F"
    (report,) = parse_hl7(_msg("OBX|1|NM|2823-3^K^LN||4.1|mmol/L", pid=pid))
    assert (report.patient.id, report.patient.issuer) == ("P77", "CITY-MPI")


def test_loinc_in_alternate_identifier_and_nte_ignored() -> None:
    (report,) = parse_hl7(_msg("OBX|1|NM|K^Kalium^L^2823-3^Potassium^LN||4.1|mmol/L", "NTE|1||comment"))
    assert report.results[0].loinc == "2823-3"


def test_spm_collection_time_when_obr7_is_empty() -> None:
    obr = "OBR|1|PL9|FI9|24323-8^CMP^LN"
    (report,) = parse_hl7(_msg("OBX|1|NM|2823-3^K^LN||4.1|mmol/L", "SPM|1|||BLD|||||||||||||20260101083000",
                               obr=obr))
    assert report.specimen_time == datetime(2026, 1, 1, 8, 30)


def test_accessor_matches_python_hl7_containers() -> None:
    """Reference check: our positional accessor over the list factory reads what python-hl7's own API reads."""
    text = _msg("OBX|1|NM|2823-3^Potassium^LN||6.5|mmol/L^millimole per liter^UCUM|3.5-5.1|HH~A|||F").strip()
    ours = hl7.parse(text, factory=_ListFactory)
    ref = hl7.parse(text)
    for seg_i, (field, comp, rep) in [(0, (9, 1, 0)), (0, (10, 0, 0)), (1, (3, 3, 0)), (3, (3, 0, 0)),
                                      (3, (6, 2, 0)), (3, (8, 0, 1)), (3, (5, 0, 0)), (3, (40, 0, 0))]:
        seg = ours[seg_i]
        expected = ref[seg_i].extract_field(0, field, rep + 1, comp + 1, 1) if field < len(ref[seg_i]) else ""
        if seg_i == 0:  # python-hl7 numbers MSH fields from MSH-1
            expected = ref.extract_field("MSH", 1, field, rep + 1, comp + 1, 1) if field < len(ref[0]) else ""
        assert _get(seg, field, comp, 0, rep) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PID|1||P9\rOBR|1\rOBX|1|NM|2823-3^K^LN||4|mmol/L\r", "before any MSH segment"),
        ("hello world", "missing MSH"),
        (_msg("OBX|1|XX|2823-3^K^LN||4.1|mmol/L"), "OBX-2 value type 'XX'"),
        (_msg("OBX|1|NM|2823-3^K^LN||4,1|mmol/L"), "OBX-5 '4,1' is not numeric for value type NM"),
        (_msg("OBX|1|NM|2823-3^K^LN||high|mmol/L"), "OBX-5 'high' is not numeric"),
        (_msg("OBX|1|NM|K^Kalium^L||4.1|mmol/L"), "OBX-3 'K' carries no LOINC code"),
        (_msg("OBX|1|NM|2823-3^K^LN||4.1|mmol/kg"), "OBX-6: unknown unit 'mmol/kg'"),
        (_msg("OBX|1|NM|2345-7^Glucose^LN||90|U/L"), "OBX-6: unit 'U/L'.*cannot be converted"),
        (_msg("OBX|1|NM|2823-3^K^LN||4.1|"), "OBX-6"),
        (_msg("OBX|1||2823-3^K^LN||4.1|mmol/L"), "OBX-2 .* is empty"),
        (_msg("OBX|1|SN|2823-3^K^LN||!^4|mmol/L"), "comparator '!'"),
        (_msg(msh=MSH.replace("ORU^R01", "ADT^A01")), "MSH-9 is ADT\\^A01, expected ORU\\^R01"),
        ("\r".join([MSH, PID, "OBX|1|NM|2823-3^K^LN||4.1|mmol/L"]), "OBX: comes before any OBR"),
        ("\r".join([MSH, OBR, "OBX|1|NM|2823-3^K^LN||4.1|mmol/L"]), "no PID segment"),
        (_msg(obr="OBR|1|PL9|FI9|24323-8^CMP^LN|||2026-01-01"), "OBR-7 '2026-01-01' is not an HL7 timestamp"),
    ],
)
def test_malformed_messages_name_segment_and_field(text: str, message: str) -> None:
    with pytest.raises(LabFormatError, match=message) as info:
        parse_hl7(text, source="upload/x.hl7")
    assert info.value.path == "upload/x.hl7"
    assert str(info.value).startswith("upload/x.hl7: ")


def test_error_names_the_message_and_segment_in_a_batch() -> None:
    good = _msg("OBX|1|NM|2823-3^K^LN||4.1|mmol/L")
    bad = _msg("OBX|1|NM|2823-3^K^LN||4.1|mmol/L", "OBX|2|NM|2951-2^Na^LN||abc|mmol/L", msh=MSH.replace("MSG1", "MSG2"))
    with pytest.raises(LabFormatError, match=r"message 2 \(MSH-10 'MSG2'\), segment 5 OBX: OBX-5 'abc'"):
        parse_hl7(good + bad)


def test_uncatalogued_test_keeps_its_unit_unchecked() -> None:
    (report,) = parse_hl7(_msg("OBX|1|NM|99999-9^Exotic^LN||12|furlongs/fortnight|10-20|N"))
    assert report.results[0].unit == "furlongs/fortnight"


def test_split_messages_drops_batch_envelope() -> None:
    text = "FHS|^~\\&\rBHS|^~\\&\r" + _msg("OBX|1|NM|2823-3^K^LN||4|mmol/L") + _msg() + "BTS|2\rFTS|1\r"
    assert len(split_messages(text)) == 2


def test_original_file_is_not_altered(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.hl7"
    data = (samples / "oru_batch.hl7").read_bytes()
    path.write_bytes(data)
    read(path)
    assert path.read_bytes() == data


def test_empty_and_truncated_files(tmp_path: Path, samples: Path) -> None:
    empty = tmp_path / "empty.hl7"
    empty.write_bytes(b"")
    with pytest.raises(LabFormatError, match="empty.hl7: not a lab file"):
        read(empty)
    data = (samples / "oru_critical_potassium.hl7").read_bytes()
    cut = tmp_path / "cut.hl7"
    cut.write_bytes(data[: data.index(b"2823-3") + 4])   # ends inside OBX-3 of the potassium
    with pytest.raises(LabFormatError, match=r"cut.hl7: message 1 .*segment 7 OBX: OBX-3 '2823' carries no LOINC"):
        read(cut)
    (tmp_path / "only_msh.hl7").write_text(MSH)
    with pytest.raises(LabFormatError, match="no PID segment"):
        read(tmp_path / "only_msh.hl7")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026", datetime(2026, 1, 1)), ("202603", datetime(2026, 3, 1)), ("20260310", datetime(2026, 3, 10)),
     ("202603100815", datetime(2026, 3, 10, 8, 15)), ("20260310081530.25", datetime(2026, 3, 10, 8, 15, 30, 250000)),
     ("20260310081500+0100", datetime(2026, 3, 10, 7, 15)), ("20260310081500-0500", datetime(2026, 3, 10, 13, 15)),
     ("", None)],
)
def test_hl7_timestamps(text: str, expected: datetime | None) -> None:
    from lab._common import parse_hl7_time

    assert parse_hl7_time(text) == expected


@pytest.mark.parametrize("bad", ["2026-03-10", "20261310", "202603101", "20260310+01", "20260310.x"])
def test_bad_hl7_timestamps(bad: str) -> None:
    from lab._common import parse_hl7_time

    with pytest.raises(ValueError):
        parse_hl7_time(bad)
