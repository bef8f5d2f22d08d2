"""Whatever bytes arrive, the analyzer reports problems as data and never raises."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.analyzers.windows_evtx.evtx_helpers import DATA, run

PREFIXES = [
    b"",
    b"ElfFile\x00",
    b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>",
    b'{"Event": {"System": {"EventID": ',
    b'[{"Id": 4624, "ProviderName": "x", "Message": "',
    "レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ\r\n".encode("cp932"),
    b"Level\tDate and Time\tSource\tEvent ID\tTask Category\r\n",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2048))
def test_random_bytes_after_a_plausible_start(prefix: bytes, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(prefix + body)
        result = run(path)
    for warning in result.ctx.warnings:
        assert warning.path == "input"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offset=st.integers(min_value=0, max_value=69631), junk=st.binary(min_size=1, max_size=64))
def test_overwritten_bytes_in_a_real_evtx(offset: int, junk: bytes) -> None:
    data = bytearray((DATA / "remote-service-smb.evtx").read_bytes())
    data[offset : offset + len(junk)] = junk
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "damaged.evtx"
        path.write_bytes(bytes(data))
        result = run(path)
    assert result.ctx.events <= 2  # the file holds two records; damage never invents more
