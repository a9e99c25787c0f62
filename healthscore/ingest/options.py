"""The import command's options (and a profile) as one ImportSpec."""

from __future__ import annotations

from collections.abc import Sequence

from healthscore.errors import ImportRejected
from healthscore.ingest.prepare import ImportSpec
from healthscore.ingest.values import check_format

__all__ = ["build_spec", "parse_constants", "parse_date_formats", "parse_values"]


def parse_constants(items: Sequence[str] | None) -> dict[str, str]:
    """`--set survey_type=nps` to {"survey_type": "nps"}."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ImportRejected(f"--set {item!r}: expected field=value, e.g. survey_type=nps")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def parse_values(items: Sequence[str] | None) -> dict[str, dict[str, str | None]]:
    """`--value status:Solved=resolved,Hold=pending` to {"status": {...}}; `X=` maps to empty."""
    out: dict[str, dict[str, str | None]] = {}
    for item in items or []:
        fld, sep, pairs = item.partition(":")
        if not sep or not fld.strip():
            raise ImportRejected(
                f"--value {item!r}: expected field:source=stored, e.g. status:Solved=resolved"
            )
        m = out.setdefault(fld.strip(), {})
        for part in pairs.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ImportRejected(
                    f"--value {item!r}: {part!r} is not source=stored, e.g. Good=5"
                )
            k, v = part.split("=", 1)
            m[k.strip()] = v.strip() or None
    return out


def _check_format(fmt: str, where: str) -> str:
    return check_format(fmt, where)


def parse_date_formats(items: Sequence[str] | None) -> tuple[str | None, dict[str, str]]:
    """`--date-format us` (every date field) and `--date-format opened_at=epoch_ms`."""
    default: str | None = None
    per: dict[str, str] = {}
    for item in items or []:
        if "=" in item and "%" not in item.split("=", 1)[0]:
            k, v = item.split("=", 1)
            per[k.strip()] = _check_format(v.strip(), f"--date-format {item}")
        else:
            default = _check_format(item.strip(), f"--date-format {item}")
    return default, per


def build_spec(
    kind: str,
    *,
    profile: str | None = None,
    constants: Sequence[str] | None = None,
    values: Sequence[str] | None = None,
    date_formats: Sequence[str] | None = None,
    source: str | None = None,
) -> ImportSpec:
    """A profile (when named) with the command line's options on top."""
    spec = ImportSpec()
    if profile:
        from healthscore.ingest.profiles import find_profile

        prof = find_profile(profile, None if kind == "churnsim" else kind)
        spec.fields = dict(prof.fields)
        spec.account_by = prof.account_by
        spec.external_ids = {k: list(v) for k, v in prof.external_ids.items()}
        spec.where = prof.where
        spec.source_name = prof.source
        spec.profile = prof.label
    spec.constants = parse_constants(constants)
    spec.values = parse_values(values)
    spec.date_format, spec.formats = parse_date_formats(date_formats)
    if source:
        spec.source_name = source
    return spec
