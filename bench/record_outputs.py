"""Record every output users see, so a rebuild of the inside can be shown to change none of them.

    python bench/record_outputs.py OUT_DIR [--lines 300000]
    python bench/record_outputs.py --compare BEFORE_DIR AFTER_DIR
    python bench/record_outputs.py --digests OUT_DIR > tests/fixtures/identity/outputs.sha256

It writes, one file each (all deterministic: fixed instants, seeded simulator, fixed targets):

- ``metrics-*.txt``: the KPI and catalog collectors' exposition (the ``/metrics`` body without the
  self-metrics, which carry wall-clock times) of the seeded default simulator fed up to fixed
  instants and judged against the targets in ``tests/fixtures/identity/``;
- ``replay-*.json`` and ``backfill-*.om``: ``kpi-targets replay`` and ``kpi-targets backfill`` of
  the fixtures in ``tests/fixtures/`` and of a generated queue_log of ``--lines`` lines;
- ``rules.yml``, ``dashboards/*.json``, ``catalog.json``: ``kpi-targets rules``, ``dashboards`` and
  ``catalog --format json``.

``--digests`` prints the SHA-256 of every file of a recorded directory, the form
``tests/test_outputs_identity.py`` compares with the committed ``outputs.sha256`` (recorded with
``--lines 20000``, the test's size). ``--compare`` prints the files that differ (or are missing
on one side) and exits 1 if any.
Run it from two checkouts (before and after) with each checkout's own interpreter and compare.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
IDENTITY_TARGETS = FIXTURES / "identity"
ZONE = "Europe/Rome"
# Monday 2026-03-02 in Rome: instants inside an hour, at its last moment, just after it, later on.
METRICS_AT = (
    "2026-03-02T09:30:00+01:00",
    "2026-03-02T10:59:59.999+01:00",
    "2026-03-02T11:00:30+01:00",
    "2026-03-02T13:15:00+01:00",
    "2026-03-02T20:30:00+01:00",
)
SIMULATION_START = "2026-03-02T07:00:00+01:00"
# The fixtures hold Monday 2026-01-05 10:00-11:00 UTC; the generated queue_log starts on the
# simulator's default day, Monday 2026-03-02 in Rome, and runs for days.
FIXTURE_DAY = ("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z")
FIXTURE_AT = ("2026-01-05T10:30:00Z", "2026-01-05T10:59:59.999Z", "2026-01-05T11:00:00Z")
GENERATED_DAY = ("2026-03-02T00:00:00+01:00", "2026-03-04T00:00:00+01:00")
GENERATED_AT = (
    "2026-03-02T10:30:00+01:00",
    "2026-03-02T11:00:00+01:00",
    "2026-03-03T16:00:00+01:00",
)
QUEUE_LOGS = ("calls.queue_log", "calls_pbxware.csv", "calls_realtime.csv", "malformed.queue_log")
RECORDS = ("contacts.csv", "contacts.jsonl", "bad_rows.csv")


def _cli(python: str, *args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [python, "-m", "exporter", *args], capture_output=True, text=True, cwd=cwd, check=False
    )
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"


def _stamp(instant: str) -> str:
    return instant[:19].replace(":", "").replace("-", "")


def record_metrics(out: Path) -> None:
    """The KPI collector's exposition of the seeded simulator at ``METRICS_AT``."""
    from datetime import datetime

    from prometheus_client import CollectorRegistry, generate_latest

    from exporter.collector import CatalogCollector, KpiCollector
    from exporter.engine import EngineConfig, KpiEngine
    from exporter.simulator import default_config, simulate
    from exporter.sources.simulator import SimulatorSource
    from exporter.targets.parse import load_dir
    from exporter.targets.resolve import resolve

    loaded = load_dir(IDENTITY_TARGETS)
    assert loaded.target_set is not None, loaded.problems
    target_set = loaded.target_set
    start = datetime.fromisoformat(SIMULATION_START).timestamp()
    config = default_config(seed=7, start=start)
    engine = KpiEngine(EngineConfig(timezone=target_set.calendar.timezone))
    for scope in SimulatorSource(config).known_scopes():
        engine.declare(**scope)
    instants = [datetime.fromisoformat(at).timestamp() for at in METRICS_AT]
    events = simulate(config, instants[-1])
    pending = next(events, None)
    for text, instant in zip(METRICS_AT, instants, strict=True):
        while pending is not None and pending.at <= instant:
            engine.ingest(pending)
            pending = next(events, None)
        registry = CollectorRegistry(support_collectors_without_names=True)
        registry.register(
            KpiCollector(engine, lambda: target_set, resolve, clock=lambda at=instant: at)
        )
        registry.register(CatalogCollector())
        (out / f"metrics-{_stamp(text)}.txt").write_bytes(generate_latest(registry))


def record_contact_data(out: Path, python: str, lines: int) -> None:
    """``replay`` and ``backfill`` of the fixtures and of a generated queue_log."""
    with tempfile.TemporaryDirectory() as scratch:
        generated = Path(scratch) / "generated.queue_log"
        subprocess.run(
            [python, str(ROOT / "bench" / "generate_queue_log.py"), str(lines), str(generated)],
            check=True,
            capture_output=True,
        )
        pbxware = FIXTURES / "queue_log" / "calls_pbxware.csv"
        phonenow = FIXTURES / "records" / "phonenow_like.csv"
        runs = [
            *((f"queue_log:{FIXTURES / 'queue_log' / name}", name, ()) for name in QUEUE_LOGS),
            (f"queue_log:{pbxware}?layout=table", "calls_pbxware.csv-table", ()),
            *((f"records:{FIXTURES / 'records' / name}", name, ()) for name in RECORDS),
            (f"records:{phonenow}", "phonenow_like.csv", ("--mapping", "pwc_phonenow")),
        ]
        days_and_instants = {name: (FIXTURE_DAY, FIXTURE_AT) for _, name, _ in runs}
        runs.append((f"queue_log:{generated}", "generated.queue_log", ()))
        days_and_instants["generated.queue_log"] = (GENERATED_DAY, GENERATED_AT)
        om = Path(scratch) / "history.om"

        def scrub(text: str) -> str:
            for path, word in ((generated, "GENERATED"), (om, "OUT"), (ROOT, "ROOT")):
                text = text.replace(str(path), word)
            return text

        for spec, name, options in runs:
            (first, last), instants = days_and_instants[name]
            for at in instants:
                text = _cli(python, "replay", "--at", at, "--timezone", ZONE, *options, spec)
                (out / f"replay-{name}-{_stamp(at)}.json").write_text(scrub(text))
            backfill = ("backfill", "--from", first, "--to", last, "--out", str(om))
            text = _cli(python, *backfill, "--targets", str(IDENTITY_TARGETS), *options, spec)
            (out / f"backfill-{name}.log").write_text(scrub(text))
            if om.exists():
                shutil.copyfile(om, out / f"backfill-{name}.om")
                om.unlink()


def record_generated(out: Path, python: str) -> None:
    """``rules``, ``dashboards`` and ``catalog --format json``."""
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        rules = where / "kpi-targets.rules.yml"
        dashboards = where / "dashboards"
        (out / "rules.log").write_text(
            _cli(python, "rules", "--output", str(where), cwd=where).replace(scratch, "TMP")
        )
        (out / "dashboards.log").write_text(
            _cli(python, "dashboards", "--output", str(dashboards), cwd=where).replace(
                scratch, "TMP"
            )
        )
        if rules.exists():
            shutil.copyfile(rules, out / "rules.yml")
        if dashboards.is_dir():
            shutil.copytree(dashboards, out / "dashboards")
    (out / "catalog.json").write_text(_cli(python, "catalog", "--format", "json"))


def digests(directory: Path) -> str:
    """``sha256  name`` per recorded file, sorted by name."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    return "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(directory)}\n" for p in files
    )


def compare(before: Path, after: Path) -> int:
    names = sorted(
        {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
        | {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    )
    different = [
        name
        for name in names
        if not (before / name).is_file()
        or not (after / name).is_file()
        or not filecmp.cmp(before / name, after / name, shallow=False)
    ]
    for name in different:
        print(f"differs: {name}")
    print(f"{len(names) - len(different)} of {len(names)} files identical")
    return 1 if different else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--digests", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    if args.digests:
        sys.stdout.write(digests(args.digests))
        return 0
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        parser.error("OUT_DIR is required")
    args.out.mkdir(parents=True, exist_ok=True)
    record_metrics(args.out)
    record_contact_data(args.out, sys.executable, args.lines)
    record_generated(args.out, sys.executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
