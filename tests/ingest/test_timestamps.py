"""Property tests of the timestamp parser: any ISO 8601 spelling lands on the same UTC instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthscore.ingest._tz import utc_session
from healthscore.ingest.importer import timestamp_sql


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    with utc_session(c):
        yield c
    c.close()


def _parse(con: duckdb.DuckDBPyConnection, values: list[str]) -> list[datetime | None]:
    rows = con.execute(
        f"SELECT {timestamp_sql('v')} FROM (SELECT unnest(?::VARCHAR[]) AS v, "
        "generate_subscripts(?::VARCHAR[], 1) AS i) ORDER BY i",
        [values, values],
    ).fetchall()
    return [r[0] for r in rows]


offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(
    lambda q: timezone(timedelta(minutes=15 * q))
)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=offsets
)


def _spell(dt: datetime, sep: str, offset_style: str, micro: bool) -> str:
    base = dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{dt.microsecond:06d}" if micro else "")
    off = dt.utcoffset() or timedelta(0)
    if offset_style == "naive":
        return base
    if offset_style == "Z" and off == timedelta(0):
        return base + "Z"
    total = int(off.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hh, mm = divmod(abs(total), 60)
    return base + (
        f"{sign}{hh:02d}:{mm:02d}" if offset_style != "compact" else f"{sign}{hh:02d}{mm:02d}"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            moments,
            st.sampled_from(["T", " "]),
            st.sampled_from(["naive", "Z", "colon", "compact"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_iso_spellings_normalise_to_utc(con: duckdb.DuckDBPyConnection, cases) -> None:
    texts, expected = [], []
    for dt, sep, style, micro in cases:
        if not micro:
            dt = dt.replace(microsecond=0)
        texts.append(_spell(dt, sep, style, micro))
        if style == "naive":
            expected.append(dt.replace(tzinfo=None))  # naive text is UTC wall time
        else:
            expected.append(dt.astimezone(UTC).replace(tzinfo=None))
    assert _parse(con, texts) == expected


def test_not_dates_are_null(con: duckdb.DuckDBPyConnection) -> None:
    bad = ["31/02/2024", "2024-02-30T00:00:00Z", "yesterday", "2024-13-01", "10:00"]
    assert _parse(con, bad) == [None] * len(bad)
