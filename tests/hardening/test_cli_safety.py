"""User text is never Rich markup, and output paths are checked (issue 16, item 5).

`[/oops]` in a cell, a column named `[/bold]` and `explain "[/x]"` raised `MarkupError`;
`[bold]12` was reported as "12"; a directory or a missing folder as `--output` raised
`IsADirectoryError` / `FileNotFoundError`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.cli._common import OutputFormat, check_output_path, emit, err, out, progress
from healthscore.errors import HealthscoreError

from .conftest import hs


def test_an_import_refusal_shows_user_text_verbatim(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('account_id,mrr\na1,[bold]12\na2,"[/oops]"\n')
    db = str(tmp_path / "s.duckdb")
    r = hs("import", "accounts", "a.csv", "--db", db, cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert '"[bold]12" is not a number' in r.stderr
    assert '"[/oops]" is not a number' in r.stderr
    assert r.stderr.startswith("error: ")
    r = hs("explain", "[/x]", "--db", db, cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "[/x]" in r.stderr


def test_tables_print_cells_and_column_names_as_they_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit([{"[/bold]": "[/oops]", "name": "[bold]12[/]"}], OutputFormat.table)
    shown = capsys.readouterr().out
    assert "[/bold]" in shown and "[/oops]" in shown and "[bold]12[/]" in shown


def test_messages_keep_their_label_style_and_print_the_rest_plainly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err.print("[yellow]warning:[/] column [/x] is [bold]odd", highlight=False)
    out.print("[/unbalanced [red]")
    captured = capsys.readouterr()
    assert captured.err == "warning: column [/x] is [bold]odd\n"
    assert captured.out == "[/unbalanced [red]\n"


def test_a_progress_description_naming_a_bracketed_file_is_plain() -> None:
    with progress() as bar:
        bar.add_task("reading [/x].csv", total=1)
        bar.refresh()  # renders the description (raised MarkupError before)


def test_output_paths_that_cannot_be_written_are_named(tmp_path: Path) -> None:
    (tmp_path / "out.html").mkdir()
    with pytest.raises(HealthscoreError, match=r"out\.html is a directory; name a file"):
        check_output_path(tmp_path / "out.html")
    with pytest.raises(HealthscoreError, match=r"the folder .*missing does not exist"):
        check_output_path(tmp_path / "missing" / "report.html")


def test_scorecard_template_into_a_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "card.yaml").mkdir()
    r = hs(
        "scorecard", "template", "-o", "card.yaml", "--force",
        "--db", str(tmp_path / "none.duckdb"), cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in r.stderr and r.returncode != 0, r.stderr
    assert "card.yaml is a directory; name a file" in r.stderr
