"""HL7 aECG reader: a hand-written document, a 12-lead export of pydicom's ECG, and broken XML."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

import ecg
from ecg import EcgFormatError
from ecg.io import write_aecg

ECG_DCM = Path(get_testdata_file("waveform_ecg.dcm"))

# A minimal but realistic aECG: relative time in ms, a non-zero origin, a derived median beat series
# that must be ignored, trial subject and device identification.
HANDWRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="728989ec-b8b4-4f8c-8a6c-1d8f0e0d7f11"/>
  <code code="93000" codeSystem="2.16.840.1.113883.6.12"/>
  <effectiveTime><low value="20210304081500.250+0100"/><high value="20210304081510"/></effectiveTime>
  <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject>
    <id root="2.16.840.1.113883.3.1" extension="PAT-0042"/>
  </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>
  <component>
    <series>
      <code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>
      <author><seriesAuthor><manufacturedSeriesDevice>
        <manufacturerModelName>MAC 5500</manufacturerModelName>
      </manufacturedSeriesDevice><manufacturerOrganization><name>GE</name></manufacturerOrganization>
      </seriesAuthor></author>
      <component><sequenceSet>
        <component><sequence>
          <code code="TIME_RELATIVE" codeSystem="2.16.840.1.113883.5.4"/>
          <value xsi:type="GLIST_PQ"><head value="0" unit="ms"/><increment value="2" unit="ms"/></value>
        </sequence></component>
        <component><sequence>
          <code code="MDC_ECG_LEAD_II" codeSystem="2.16.840.1.113883.6.24"/>
          <value xsi:type="SLIST_PQ"><origin value="100" unit="uV"/><scale value="4.88" unit="uV"/>
            <digits>0 10 -10 205 -3</digits></value>
        </sequence></component>
        <component><sequence>
          <code code="MDC_ECG_LEAD_AVR" codeSystem="2.16.840.1.113883.6.24"/>
          <value xsi:type="SLIST_PQ"><origin value="0" unit="mV"/><scale value="0.01" unit="mV"/>
            <digits>1 2 3 4</digits></value>
        </sequence></component>
      </sequenceSet></component>
      <derivation><derivedSeries>
        <code code="REPRESENTATIVE_BEAT" codeSystem="2.16.840.1.113883.5.4"/>
        <component><sequenceSet><component><sequence>
          <code code="MDC_ECG_LEAD_V1" codeSystem="2.16.840.1.113883.6.24"/>
          <value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="1" unit="uV"/>
            <digits>9 9 9</digits></value>
        </sequence></component></sequenceSet></component>
      </derivedSeries></derivation>
    </series>
  </component>
</AnnotatedECG>
"""


def test_handwritten_document(tmp_path: Path) -> None:
    path = tmp_path / "ecg.xml"
    path.write_text(HANDWRITTEN, encoding="utf-8")
    assert ecg.sniff(path) == "aecg"
    rec = ecg.read(path)
    assert rec.fs == 500.0
    assert rec.leads == ("II", "aVR")
    expected_ii = (100 + 4.88 * np.array([0, 10, -10, 205, -3])) / 1000.0
    np.testing.assert_allclose(rec.signal[:, 0], expected_ii)
    np.testing.assert_allclose(rec.signal[:4, 1], [0.01, 0.02, 0.03, 0.04])
    assert np.isnan(rec.signal[4, 1])  # shorter lead padded
    meta = rec.metadata
    assert meta.patient_id == "PAT-0042"
    assert meta.device == "GE MAC 5500"
    assert meta.acquired_at is not None and meta.acquired_at.utcoffset().total_seconds() == 3600
    assert meta.acquired_at.replace(tzinfo=None) == datetime(2021, 3, 4, 8, 15, 0, 250000)
    assert meta.record_id == "728989ec-b8b4-4f8c-8a6c-1d8f0e0d7f11"


def test_twelve_lead_export_of_dicom_ecg(tmp_path: Path) -> None:
    """The 12-lead DICOM ECG written to aECG (2.5 uV steps) reads back within half a step of pydicom's values."""
    src = ecg.read(ECG_DCM)
    path = write_aecg(src, tmp_path / "12lead.xml", scale_uv=2.5)
    rec = ecg.read(path)
    ref_mv = pydicom.dcmread(ECG_DCM).waveform_array(0) / 1000.0
    assert rec.leads == src.leads and rec.fs == 1000.0 and rec.signal.shape == (10000, 12)
    assert np.max(np.abs(rec.signal - ref_mv)) <= 1.25e-3 + 1e-12
    assert rec.metadata.patient_id == "642341"
    assert rec.metadata.acquired_at == datetime(2013, 1, 25, 10, 59, 19)
    with pytest.raises(ecg.EcgValueError, match="already exists"):
        write_aecg(src, path)


def test_fs_needed_without_time_sequence(tmp_path: Path) -> None:
    start = HANDWRITTEN.index("<component><sequence>\n          <code code=\"TIME_RELATIVE\"")
    end = HANDWRITTEN.index("</sequence></component>", start) + len("</sequence></component>")
    path = tmp_path / "notime.xml"
    path.write_text(HANDWRITTEN[:start] + HANDWRITTEN[end:], encoding="utf-8")
    with pytest.raises(EcgFormatError, match="no time sequence.*fs="):
        ecg.read(path)
    assert ecg.read(path, fs=250).fs == 250.0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (HANDWRITTEN[: len(HANDWRITTEN) // 2], "malformed XML"),
        ('<?xml version="1.0"?><root xmlns="urn:hl7-org:v3">AnnotatedECG</root>', "not an HL7 aECG"),
        (HANDWRITTEN.replace("<digits>0 10 -10 205 -3</digits>", "<digits>0 1O</digits>"), "non-numeric"),
        (HANDWRITTEN.replace('unit="uV"/><scale value="4.88" unit="uV"', 'unit="uV"/><scale value="4.88" unit="mmHg"'),
         "not a voltage"),
        ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n'
         '<AnnotatedECG xmlns="urn:hl7-org:v3">&lol2;</AnnotatedECG>', "forbidden"),
        ('<AnnotatedECG xmlns="urn:hl7-org:v3"><id root="1"/></AnnotatedECG>', "no <component><series>"),
    ],
)
def test_broken_documents(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EcgFormatError, match=problem) as err:
        ecg.read(path)
    assert err.value.path == str(path)


def test_largest_sequence_set_is_read(tmp_path: Path) -> None:
    """Two lead groups recorded one after another: the larger set is read, the other reported."""
    small = ('<component><sequenceSet><component><sequence><code code="MDC_ECG_LEAD_V6"/>'
             '<value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="1" unit="uV"/>'
             '<digits>5 5</digits></value></sequence></component></sequenceSet></component>\n      <derivation>')
    path = tmp_path / "groups.xml"
    path.write_text(HANDWRITTEN.replace("<derivation>", small, 1), encoding="utf-8")
    rec = ecg.read(path)
    assert rec.leads == ("II", "aVR")
    assert rec.metadata.extra["ignored_sequence_sets"] == 1
