"""A bad byte in a ChurnSim lookup table is reported with that table's file and line
(issue 16, item 5), not as the event file it is joined to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_churnsim
from healthscore.store import Store

SLICE = Path(__file__).parents[1] / "data" / "churnsim_slice" / "csv"


@pytest.mark.parametrize("table", ["event_type.csv", "subscription.csv"])
def test_a_latin1_byte_in_a_joined_table_names_that_table(
    store: Store, tmp_path: Path, table: str
) -> None:
    folder = tmp_path / "sim"
    shutil.copytree(SLICE, folder)
    if table == "subscription.csv":
        import gzip

        text = gzip.decompress((folder / "subscription.csv.gz").read_bytes())
        (folder / "subscription.csv.gz").unlink()
        lines = text.split(b"\n")
        lines[3] = lines[3].replace(b",", b"\xe9,", 1)
        (folder / table).write_bytes(b"\n".join(lines))
        line = 4
    else:
        data = (folder / table).read_bytes()
        (folder / table).write_bytes(data.replace(b"like", b"lik\xe9", 1))
        line = 4
    with pytest.raises(ImportRejected) as exc:
        import_churnsim(store, folder)
    assert f"{table} line {line}: not valid UTF-8 (byte 0xe9" in str(exc.value)
    assert store.count("events") == 0 and store.count("accounts") == 0
