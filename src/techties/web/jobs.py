"""Scenario runs for the explorer: each in a process of its own (so a run can be cancelled and
a slow one stopped at the time limit), a few at a time, cached by the scenario's hash.

A job is ``queued`` → ``running`` → ``done`` | ``failed`` | ``cancelled`` | ``timed out``. The
worker process opens the store read-only itself, tells the server of every draw solved (the
simulation's ``progress=`` callback), and sends back ``ScenarioResult.to_dict`` (what ``techties
simulate --json`` prints), the tidy table and the chart as SVG. A cancel asks the worker to stop
before its next draw; one that does not stop within :data:`CANCEL_GRACE_S` (still solving the
central case) is terminated.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

#: limits on what a request may ask for
MAX_DRAWS = 20
TIME_LIMIT_S = 300.0
MAX_RUNNING = 1
MAX_JOBS = 64
#: seconds a cancelled run has to stop between draws before its process is terminated
CANCEL_GRACE_S = 5.0


class Cancelled(Exception):
    """Raised in the worker between draws once the run is cancelled."""


def scenario_hash(spec: dict[str, Any]) -> str:
    """sha256 of the scenario definition and run settings (canonical JSON)."""
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Job:
    id: str
    key: str
    spec: dict[str, Any]
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    process: Any = None
    conn: Any = None
    stop: Any = None  # the event a cancel sets (the worker checks it between draws)
    cancelled_at: float | None = None
    #: draws solved so far, and whether the central case is solved (the draws have begun)
    draws_done: int = 0
    central_done: bool = False

    def to_dict(self) -> dict[str, Any]:
        now = self.finished or time.time()
        return {
            "id": self.id,
            "scenario_hash": self.key,
            "state": self.state,
            "scenario": self.spec["scenario"].get("name"),
            "draws": self.spec["draws"],
            "draws_done": self.draws_done,
            "central_done": self.central_done,
            "cancelling": self.cancelled_at is not None and self.state == "running",
            "elapsed_s": round(now - (self.started or now), 1),
            "time_limit_s": TIME_LIMIT_S,
            "error": self.error,
            "result": None if self.result is None else self.result["dict"],
        }


def _work(conn: Any, stop: Any, store_path: str, spec: dict[str, Any]) -> None:
    """In the worker process: run the scenario, telling the server of each draw; send back
    its result (or the error text, or how many draws were solved before a cancel)."""
    solved = 0

    def progress(done: int, total: int) -> None:
        nonlocal solved
        solved = done
        conn.send({"progress": done, "of": total})
        if stop.is_set():
            raise Cancelled

    try:
        from techties.charts import to_svg
        from techties.results import json_safe
        from techties.simulation.library import LIBRARY
        from techties.simulation.scenario import Scenario
        from techties.store import open_store

        sc = Scenario.from_dict(spec["scenario"], base_dir=LIBRARY)
        with open_store(store_path, read_only=True) as st:
            res = sc.run(
                draws=spec["draws"], seed=spec["seed"], workers=1, store=st, progress=progress
            )
        conn.send(
            {
                "dict": json_safe(res.to_dict()),
                "tidy": json_safe(res.tidy()),
                "chart": to_svg(res.plot()),
                "title": res.title,
            }
        )
    except Cancelled:
        conn.send({"cancelled": solved})
    except Exception as exc:  # reported to the page: the run failed, with the reason
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


class Jobs:
    """The scenario runs of one server process."""

    def __init__(self, store_path: str, *, time_limit: float = TIME_LIMIT_S) -> None:
        self.store_path = store_path
        self.time_limit = time_limit
        self.jobs: dict[str, Job] = {}
        self.by_key: dict[str, Job] = {}
        #: changes whenever a run is added, starts or ends (the scenarios page lists them)
        self.version = 0
        self._lock = threading.Lock()
        self._ctx = mp.get_context("spawn")  # no fork of a process holding DuckDB and threads
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="techties-jobs", daemon=True)
        self._thread.start()

    def submit(self, spec: dict[str, Any]) -> Job:
        """A job for ``spec`` (the finished or running one with the same hash, if any)."""
        key = scenario_hash(spec)
        with self._lock:
            old = self.by_key.get(key)
            if old is not None and old.state in ("queued", "running", "done"):
                return old
            if len(self.jobs) >= MAX_JOBS:
                self._forget_oldest()
            job = Job(id=uuid.uuid4().hex[:12], key=key, spec=spec)
            self.version += 1
            self.jobs[job.id] = job
            self.by_key[key] = job
            return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """A queued run is dropped; a running one is asked to stop before its next draw."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is not None and job.state == "queued":
                self._end(job, "cancelled", "Cancelled before it started.")
            elif job is not None and job.state == "running" and job.cancelled_at is None:
                job.stop.set()
                job.cancelled_at = time.time()
            return job

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            for job in self.jobs.values():
                if job.state in ("queued", "running"):
                    self._end(job, "cancelled", "The server stopped.")
        self._thread.join(timeout=5)

    # -- the scheduler thread ------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                self._poll()

    def _poll(self) -> None:
        for job in [j for j in self.jobs.values() if j.state == "running"]:
            self._read(job)
            if job.state != "running":
                continue
            now = time.time()
            if job.cancelled_at is not None and now - job.cancelled_at > CANCEL_GRACE_S:
                self._end(job, "cancelled", f"Cancelled after {self._of(job)} draws (stopped).")
            elif now - (job.started or 0) > self.time_limit:
                self._end(job, "timed out", f"Stopped at the time limit ({self.time_limit:g} s).")
            elif not job.process.is_alive() and not job.conn.poll():
                self._end(job, "failed", "The worker process ended without a result.")
        free = MAX_RUNNING - sum(j.state == "running" for j in self.jobs.values())
        for job in [j for j in self.jobs.values() if j.state == "queued"][: max(free, 0)]:
            parent, child = self._ctx.Pipe(duplex=False)
            job.stop = self._ctx.Event()
            job.process = self._ctx.Process(
                target=_work, args=(child, job.stop, self.store_path, job.spec), daemon=True
            )
            job.process.start()
            child.close()
            job.conn, job.state, job.started = parent, "running", time.time()
            self.version += 1

    def _of(self, job: Job) -> str:
        return f"{job.draws_done} of {job.spec['draws']}"

    def _read(self, job: Job) -> None:
        """Every message the worker sent: progress, then a result, an error or a cancel."""
        while job.state == "running" and job.conn.poll():
            try:
                got = job.conn.recv()
            except EOFError:
                got = {"error": "The worker process ended without a result."}
            if "progress" in got:
                job.draws_done, job.central_done = int(got["progress"]), True
            elif "cancelled" in got:
                job.draws_done = int(got["cancelled"])
                self._end(job, "cancelled", f"Cancelled after {self._of(job)} draws.")
            elif "error" in got:
                self._end(job, "failed", got["error"])
            else:
                job.result = got
                self._end(job, "done", None)

    def _end(self, job: Job, state: str, error: str | None) -> None:
        if job.process is not None and job.process.is_alive():
            job.process.terminate()
            job.process.join(timeout=5)
        if job.conn is not None:
            job.conn.close()
        job.state, job.error, job.finished = state, error, time.time()
        self.version += 1
        if state != "done" and self.by_key.get(job.key) is job:
            del self.by_key[job.key]  # not cached: the same scenario may be run again

    def _forget_oldest(self) -> None:
        for job in sorted(self.jobs.values(), key=lambda j: j.created):
            if job.state not in ("queued", "running"):
                del self.jobs[job.id]
                if self.by_key.get(job.key) is job:
                    del self.by_key[job.key]
                return
