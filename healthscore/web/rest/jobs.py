"""Batch ingestion: upload a file (multipart) or NDJSON for any import kind; poll the job.

The upload is saved to a private temporary folder and queued; one worker thread runs the
jobs in order with `healthscore.ingest.import_files`, the CLI's own importer, opening the
store only for the length of the import (so the CLI keeps working between jobs).  A job
ends ``succeeded`` (with the import's report), ``rejected`` (with the importer's located
messages, nothing written) or ``failed`` (an unexpected error, logged).  A job left
``queued`` or ``running`` by a server that stopped is reported ``interrupted``.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from healthscore.auth.keys import ApiKey
from healthscore.config import Settings
from healthscore.errors import HealthscoreError, ImportRejected
from healthscore.store import KINDS, Store
from healthscore.store import jobs as job_rows
from healthscore.web.rest._store import open_rest_store as open_request_store
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest._util import clean
from healthscore.web.rest.auth import IngestKey
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ApiProblem, ProblemRoute

__all__ = ["JobRunner", "router"]

log = logging.getLogger("healthscore.web.rest.jobs")

router = APIRouter(
    prefix="/api/v1",
    tags=["batch ingestion"],
    route_class=ProblemRoute,
    responses=PROBLEM_RESPONSES,
)

MAX_UPLOAD = 2 * 1024**3  # bytes; a bigger file is better imported with the CLI
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Task:
    job_id: str
    kind: str
    path: FilePath
    folder: FilePath
    options: dict[str, Any]


class JobRunner:
    """One worker thread running queued imports in order (started on the first job)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._queue: queue.Queue[_Task] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.live: set[str] = set()

    def submit(self, task: _Task) -> None:
        with self._lock:
            self.live.add(task.job_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="healthscore-import-jobs", daemon=True
                )
                self._thread.start()
        self._queue.put(task)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no job is queued or running (tests, shutdown); False on timeout."""
        import time

        deadline = time.monotonic() + timeout
        while self.live and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.live

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            try:
                self._run(task)
            except Exception:
                log.exception("import job %s failed", task.job_id)
            finally:
                shutil.rmtree(task.folder, ignore_errors=True)
                self.live.discard(task.job_id)

    def _run(self, task: _Task) -> None:
        from healthscore.ingest import import_files
        from healthscore.ingest.options import build_spec

        with open_request_store(self._settings) as store:
            job_rows.update_job(store, task.job_id, status="running", started_at=_now())
        result: dict[str, Any]
        try:
            with open_request_store(self._settings) as store:
                report = import_files(
                    store,
                    task.kind,
                    [task.path],
                    mapping=task.options.get("mapping") or {},
                    quarantine=bool(task.options.get("quarantine")),
                    update=bool(task.options.get("update")),
                    fmt=task.options.get("format"),
                    spec=build_spec(task.kind, profile=task.options.get("profile")),
                )
            result = {
                "status": "succeeded",
                "report": clean(report.as_dict()),
                "message": _summary(report),
                "problems": list(report.problems),
            }
        except ImportRejected as exc:
            result = {"status": "rejected", "message": str(exc), "problems": list(exc.problems)}
        except HealthscoreError as exc:
            result = {"status": "rejected", "message": str(exc), "problems": []}
        except Exception as exc:
            result = {
                "status": "failed",
                "message": f"the import failed unexpectedly ({type(exc).__name__}); it is "
                "logged on the server",
                "problems": [],
            }
            log.exception("import job %s", task.job_id)
        # The outcome must reach the job row: a store busy for a moment (another request
        # closing it, a CLI command) is waited out rather than leaving the job "running".
        for attempt in range(20):
            try:
                with open_request_store(self._settings) as store:
                    job_rows.update_job(store, task.job_id, finished_at=_now(), **result)
                return
            except HealthscoreError:
                if attempt == 19:
                    raise
                time.sleep(0.25)


def _summary(r: Any) -> str:
    return (
        f"{r.kind}: {r.rows_inserted:,} new, "
        + (f"{r.rows_updated:,} updated, " if r.rows_updated else "")
        + f"{r.rows_duplicate:,} already stored, {r.rows_rejected:,} quarantined "
        f"(of {r.rows_read:,} read; batch {r.batch_id})"
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def runner_of(request: Request) -> JobRunner:
    runner: JobRunner | None = getattr(request.app.state, "rest_jobs", None)
    if runner is None:
        runner = JobRunner(request.app.state.hs.settings)
        request.app.state.rest_jobs = runner
    return runner


class Job(BaseModel):
    job_id: str
    kind: str
    source: str
    status: Literal["queued", "running", "succeeded", "rejected", "failed", "interrupted"]
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    options: dict[str, Any]
    message: str | None = None
    problems: list[str] = []
    report: dict[str, Any] | None = None


def _job(row: dict[str, Any], runner: JobRunner) -> Job:
    status = row["status"]
    if status in ("queued", "running") and row["job_id"] not in runner.live:
        status = "interrupted"
        row["message"] = row["message"] or (
            "the server stopped before this job finished; nothing of it was written "
            "(imports are all-or-nothing): submit it again"
        )
    return Job(
        job_id=row["job_id"],
        kind=row["kind"],
        source=row["source"],
        status=status,
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        options=row["options"] or {},
        message=row["message"],
        problems=row["problems"] or [],
        report=row["report"],
    )


ImportKind = Annotated[
    str, Path(description=f"The data kind: {', '.join(sorted(KINDS))}.", min_length=1)
]
MapParam = Annotated[
    str | None,
    Query(
        description="Column mapping source=target, comma-separated (as `--map`), e.g. "
        "ts=event_time,acct=account_id.",
        max_length=4000,
    ),
]
QuarantineParam = Annotated[
    bool, Query(description="Keep bad rows in quarantine and load the rest.")
]
UpdateParam = Annotated[bool, Query(description="Replace stored rows whose content changed.")]


ProfileParam = Annotated[
    str | None,
    Query(
        description="A shipped export profile (stripe, zendesk-tickets, hubspot, …: as "
        "`--profile`); files of your own profiles are for the CLI.",
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
    ),
]


def _options(
    kind: str, mapping: str | None, quarantine: bool, update: bool, profile: str | None
) -> dict[str, Any]:
    from healthscore.ingest import parse_mapping
    from healthscore.ingest.options import build_spec

    if kind not in KINDS:
        raise ApiProblem(
            404,
            "Not found",
            f"unknown data kind {kind!r}; expected one of: {', '.join(sorted(KINDS))}",
        )
    if profile:
        if FilePath(profile).exists():  # find_profile would read a file of the server
            raise ApiProblem(
                422,
                "Invalid request",
                f"profile {profile!r}: only shipped profiles can be named over the API",
            )
        build_spec(kind, profile=profile)  # an unknown profile fails now, not in the job
    return {
        "mapping": parse_mapping([mapping] if mapping else None),
        "quarantine": quarantine,
        "update": update,
        "profile": profile,
    }


def _enqueue(
    request: Request,
    store: Store,
    key: ApiKey,
    kind: str,
    folder: FilePath,
    path: FilePath,
    source: str,
    options: dict[str, Any],
) -> JSONResponse:
    runner = runner_of(request)
    job_id = uuid.uuid4().hex
    job_rows.insert_job(
        store,
        job_id=job_id,
        kind=kind,
        source=source,
        options=options,
        created_at=_now(),
        key_id=key.key_id,
    )
    runner.live.add(job_id)
    row = job_rows.get_job(store, job_id)
    assert row is not None
    body = _job(row, runner).model_dump(mode="json")
    # The request's store closes when the response is sent; the worker opens its own.
    runner.submit(_Task(job_id, kind, path, folder, options))
    return JSONResponse(body, status_code=202, headers={"Location": f"/api/v1/jobs/{job_id}"})


async def _save(stream: Any, target: FilePath) -> int:
    size = 0
    with target.open("wb") as fh:
        async for chunk in stream:
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise ApiProblem(
                    413,
                    "Payload too large",
                    f"uploads are limited to {MAX_UPLOAD // 1024**3} GB; import a bigger file "
                    "with `healthscore import` on the server",
                )
            fh.write(chunk)
    return size


async def _upload_chunks(upload: UploadFile) -> Any:
    while chunk := await upload.read(_CHUNK):
        yield chunk


@router.post(
    "/imports/{kind}",
    status_code=202,
    response_model=Job,
    summary="Import a file (multipart) in the background",
)
async def import_file(
    request: Request,
    kind: ImportKind,
    file: Annotated[UploadFile, File(description="CSV (.csv, .csv.gz), JSON Lines or Parquet.")],
    key: ApiKey = IngestKey,
    store: Store = Depends(get_store),
    mapping: MapParam = None,
    quarantine: QuarantineParam = False,
    update: UpdateParam = False,
    profile: ProfileParam = None,
    format: Annotated[
        Literal["csv", "jsonl", "parquet"] | None,
        Query(description="The file's format; default: from its name."),
    ] = None,
) -> JSONResponse:
    """Queue an import of `file` as `kind`; poll `GET /api/v1/jobs/{job_id}` (the
    `Location` header) for its report or the importer's located messages."""
    options = _options(kind, mapping, quarantine, update, profile)
    name = FilePath(file.filename or "upload").name or "upload"
    if format is None:
        from healthscore.ingest.readers import detect_format

        format = detect_format(FilePath(name))  # type: ignore[assignment]  # ImportRejected -> 422
    options["format"] = format
    folder = FilePath(tempfile.mkdtemp(prefix="healthscore-job-"))
    try:
        path = folder / name
        await _save(_upload_chunks(file), path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _enqueue(request, store, key, kind, folder, path, name, options)


@router.post(
    "/imports/{kind}/ndjson",
    status_code=202,
    response_model=Job,
    summary="Import NDJSON from the body in the background",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
async def import_ndjson(
    request: Request,
    kind: ImportKind,
    key: ApiKey = IngestKey,
    store: Store = Depends(get_store),
    mapping: MapParam = None,
    quarantine: QuarantineParam = False,
    update: UpdateParam = False,
    profile: ProfileParam = None,
) -> JSONResponse:
    """Queue an import of the body (one JSON object per line) as `kind`."""
    options = {**_options(kind, mapping, quarantine, update, profile), "format": "jsonl"}
    folder = FilePath(tempfile.mkdtemp(prefix="healthscore-job-"))
    try:
        path = folder / "body.jsonl"
        size = await _save(request.stream(), path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise ApiProblem(400, "Bad request", "the body is empty; send one JSON object per line")
    return _enqueue(request, store, key, kind, folder, path, "body.jsonl", options)


@router.get("/jobs/{job_id}", response_model=Job, summary="One import job")
def get_job(
    request: Request,
    job_id: Annotated[str, Path(min_length=1, max_length=64)],
    _key: Any = IngestKey,
    store: Store = Depends(get_store),
) -> Job:
    row = job_rows.get_job(store, job_id)
    if row is None:
        raise ApiProblem(404, "Not found", f"no import job {job_id!r}; GET /api/v1/jobs lists them")
    return _job(row, runner_of(request))


class JobList(BaseModel):
    items: list[Job]


@router.get("/jobs", response_model=JobList, summary="Recent import jobs")
def list_jobs(
    request: Request,
    _key: Any = IngestKey,
    store: Store = Depends(get_store),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    runner = runner_of(request)
    return JobList(items=[_job(r, runner) for r in job_rows.list_jobs(store, limit)])
