"""Import jobs: uploads streamed to a private folder, then one import process per job.

A job goes ``uploading`` → ``running`` → ``done`` | ``failed`` | ``interrupted``. The page
creates a job (with the athlete), sends each file as its own request body
(:meth:`Jobs.receive`: streamed to disk, counted against :attr:`AppState.max_upload_bytes`),
then starts it; :func:`analyzer.app.import_worker.run` imports in a child process whose progress
lines the job keeps for the page to poll (:meth:`ImportJob.status`).

Nothing the browser sends names a path on disk: each upload goes to a numbered slot of the
job's folder (``<tmp>/analyzer-app-*/<job>/00001/``) under its own name cleaned to one safe
component per folder level (letters, digits, ``._- ``; no ``..``, no leading dot). What the
files hold is the importer's business, with its archive limits (zip bombs, ``../`` members,
nesting) exactly as for ``analyzer import``.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.app.forms import athlete_name
from analyzer.app.state import AppState
from analyzer.errors import InvalidInput, NotFound, UploadTooLarge

#: Most files one import job may upload.
MAX_FILES = 20_000
#: Longest cleaned path component [characters].
MAX_COMPONENT = 100
#: How long a stopping server waits for an interrupted import to finish its batch [s].
STOP_WAIT_S = 20.0

_UNSAFE = re.compile(r"[^\w.\- ]+")


def clean_parts(name: str) -> list[str]:
    """The upload name as safe path components (``"../a/.b?.fit"`` → ``["a", "b_.fit"]``)."""
    parts = []
    for raw in re.split(r"[/\\]+", name):
        part = _UNSAFE.sub("_", raw).strip(" .")[:MAX_COMPONENT].strip(" .")
        if part:
            parts.append(part)
    return parts or ["upload"]


@dataclass
class ImportJob:
    """One import: its uploads, its process and what the page shows of it."""

    id: str
    athlete: str
    folder: Path
    state: str = "uploading"
    received: int = 0
    files: int = 0
    paths: list[Path] = field(default_factory=list)  # what is imported: files and folders
    roots: dict[str, Path] = field(default_factory=dict)  # a dropped folder's name -> its copy
    progress: dict = field(default_factory=lambda: {"done": 0, "total": 0, "name": ""})
    summary: dict | None = None
    error: str | None = None
    process: subprocess.Popen | None = None

    def status(self) -> dict:
        """The job as the page polls it (``GET /api/imports/{id}``)."""
        return {
            "job": self.id,
            "athlete": self.athlete,
            "state": self.state,
            "files": self.files,
            "received_bytes": self.received,
            "progress": dict(self.progress),
            "summary": self.summary,
            "error": self.error,
        }


class Jobs:
    """The import jobs of one app (at most one runs at a time: the store has one writer)."""

    def __init__(self, state: AppState):
        self.state = state
        self.root = Path(tempfile.mkdtemp(prefix="analyzer-app-"))
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def create(self, athlete: str) -> ImportJob:
        """A new job for ``athlete`` (checked: not blank, no control characters)."""
        job_id = secrets.token_hex(8)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        job = ImportJob(job_id, athlete_name(athlete, "athlete"), folder)
        self._jobs[job_id] = job
        return job

    def get(self, job_id: str) -> ImportJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no import job {job_id!r}: start the import again from the page")
        return job

    async def receive(self, job: ImportJob, name: str, body: AsyncIterator[bytes]) -> int:
        """Stream one uploaded file into the job's folder; returns its size [bytes].

        Raises
        ------
        InvalidInput
            The job is no longer taking files, has too many, or the upload passes the size
            limit (then the job is failed and everything it received is removed).
        """
        if job.state != "uploading":
            raise InvalidInput(f"import {job.id} is {job.state}: start a new import")
        if job.files >= MAX_FILES:
            self._fail(job, f"more than {MAX_FILES} files in one import: send fewer at a time")
        parts = clean_parts(name)
        if len(parts) == 1:  # a file of its own, as if named on the command line
            target = self._slot(job) / parts[0]
            job.paths.append(target)
        else:  # a file of a dropped folder: the folder is imported as a whole
            root = job.roots.get(parts[0])
            if root is None:
                root = job.roots[parts[0]] = self._slot(job) / parts[0]
                job.paths.append(root)
            target = root.joinpath(*parts[1:])
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise InvalidInput(f"{name}: sent twice in one import")
        size = 0
        with open(target, "xb") as out:
            async for chunk in body:
                size += len(chunk)
                self.check_size(job, parts[-1], size)
                out.write(chunk)
        job.received += size
        job.files += 1
        return size

    @staticmethod
    def _slot(job: ImportJob) -> Path:
        slot = job.folder / f"{len(job.paths) + 1:05d}"
        slot.mkdir()
        return slot

    def check_size(self, job: ImportJob, name: str, size: int) -> None:
        """Fail the job when ``size`` more bytes would pass the upload limit.

        Raises
        ------
        UploadTooLarge
            Naming the file and the limit; the job's uploads are removed.
        """
        limit = self.state.max_upload_bytes
        if job.received + size > limit:
            self._fail(
                job,
                f"{name}: the upload passes the limit of {limit / (1 << 20):,.1f} MiB per "
                "import; nothing was imported. Send fewer files at a time, or import from a "
                "terminal with `analyzer import PATH`",
                UploadTooLarge,
            )

    def _fail(self, job: ImportJob, message: str, error=InvalidInput) -> None:
        job.state, job.error = "failed", message
        shutil.rmtree(job.folder, ignore_errors=True)
        raise error(message)

    def start(self, job: ImportJob) -> None:
        """Run the job's import in a child process (one import at a time)."""
        if job.state != "uploading":
            raise InvalidInput(f"import {job.id} is {job.state} already")
        if not job.files:
            raise InvalidInput("no file was uploaded: choose files, a folder or an export zip")
        with self._lock:
            busy = [j for j in self._jobs.values() if j.state == "running"]
            if busy:
                raise InvalidInput("another import is running: wait for it to finish")
            job.state = "running"
        cmd = [
            sys.executable,
            "-m",
            "analyzer.app.import_worker",
            str(self.state.store_path),
            str(job.folder),
            job.athlete,
            *(str(p) for p in job.paths),
        ]
        job.process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, bufsize=1
        )
        threading.Thread(target=self._follow, args=(job,), daemon=True).start()

    def _follow(self, job: ImportJob) -> None:
        proc = job.process
        for line in proc.stdout if proc is not None and proc.stdout is not None else ():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "progress" in msg:
                job.progress = msg["progress"]
            elif "summary" in msg:
                job.summary = msg["summary"]
            elif "error" in msg:
                job.error = msg["error"]
        code = proc.wait() if proc is not None else 1
        self.state.changed()
        shutil.rmtree(job.folder, ignore_errors=True)
        if code == 130 or code == -signal.SIGINT:
            job.state = "interrupted"
            job.error = job.error or "interrupted: import the same files again to finish"
        elif job.summary is not None:
            job.state = "done"
        else:
            job.state = "failed"
            job.error = job.error or f"the import stopped (exit status {code})"

    def shutdown(self) -> None:
        """Interrupt a running import as Ctrl-C does, wait for it, remove the uploads."""
        for job in list(self._jobs.values()):
            proc = job.process
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(STOP_WAIT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
