"""``kgx job run NAME [--config FILE]`` and ``kgx job status [NAME] [--json]``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kgx.config import Config


def cmd_job(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.cli import _table
    from kgx.jobs.config import load_job_config
    from kgx.jobs.nightly import JobFailed, job_status, run_job

    if args.action == "status":
        status = job_status(cfg, args.name)
        if args.json:
            print(json.dumps(status, indent=2, default=str))
            return 0
        holder = status["running"]
        print(f"job {args.name}: " + (f"running now (pid {holder.get('pid')}, since "
                                      f"{holder.get('startedAt')})" if holder else "not running"))
        ledger = status["ledger"]
        if not ledger:
            print("no run yet")
            return 0
        print(f"{'current' if ledger.get('state') == 'running' else 'last'} run {ledger['job']}: "
              f"{ledger.get('state')} (started {ledger.get('startedAt')}"
              + (f", ended {ledger['endedAt']}" if ledger.get("endedAt") else "") + ")")
        if ledger.get("state") == "running" and not holder:
            print("  it was interrupted: the next `kgx job run` resumes it")
        _table([{"step": k, "status": v.get("status"), "note": v.get("note", ""),
                 "counts": v.get("counts") or ""} for k, v in ledger["steps"].items()])
        return 0
    job = load_job_config(args.name, getattr(args, "config", None))
    result = run_job(cfg, job)
    rows: list[dict[str, Any]] = [{"step": s.name, "status": s.status, "note": s.note}
                                  for s in result.steps]
    print(f"job {job.name} {result.job_id}" + (" (resumed)" if result.resumed else ""))
    _table(rows)
    if not result.ok:
        raise JobFailed(f"job {job.name} ({result.job_id}) failed: {result.failure()} — see "
                        "`kgx runs list` and `kgx job status`")
    return 0


def register(sub: Any) -> None:
    """Add ``kgx job`` to the ``kgx`` parser."""
    s = sub.add_parser("job", help="run a scheduled job (nightly) or show its status")
    s.add_argument("action", choices=["run", "status"])
    s.add_argument("name", nargs="?", default="nightly", help="the job (default: nightly)")
    s.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                   help="kgx.toml with the [job.NAME] table (default: ./kgx.toml)")
    s.add_argument("--json", action="store_true", help="status as JSON")
    s.set_defaults(func=cmd_job)
