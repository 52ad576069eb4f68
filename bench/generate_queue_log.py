"""Generate a large Asterisk queue_log from the simulator, streamed (millions of lines are fine).

    python bench/generate_queue_log.py 1000000 /tmp/queue_log [--seed 1]

The contact center is the default demo's voice part (queues sales and support, teams blue and red,
staffed hour by hour); days follow each other until N_LINES lines are written.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import sys
import time
from pathlib import Path

from exporter.events import Channel
from exporter.simulator import SimulatorConfig, default_config, simulate
from exporter.simulator.queue_log_writer import format_queue_log


def voice_config(seed: int) -> SimulatorConfig:
    """The default demo without chat, email and outbound: only what a queue_log records."""
    config = default_config(seed=seed)
    queues = tuple(q for q in config.queues if q.channel is Channel.VOICE)
    names = {q.name for q in queues}
    teams = tuple(t for t in config.teams if t.queues and set(t.queues) <= names)
    return dataclasses.replace(config, queues=queues, teams=teams, campaigns=())


def write_queue_log(lines: int, out: Path, seed: int = 1) -> int:
    """Write the first ``lines`` lines of an endless simulated queue_log to ``out``."""
    config = voice_config(seed)
    produced = format_queue_log(
        simulate(config, math.inf), agent_queues=config.agent_queues(Channel.VOICE), seed=seed
    )
    written = 0
    with out.open("w", encoding="utf-8") as file:
        for line in itertools.islice(produced, lines):
            file.write(line)
            file.write("\n")
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=int, metavar="N_LINES", help="lines to write")
    parser.add_argument("out", type=Path, metavar="OUT", help="file to write")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.lines < 0:
        parser.error(f"N_LINES must be >= 0, got {args.lines}")
    started = time.perf_counter()
    written = write_queue_log(args.lines, args.out, args.seed)
    elapsed = time.perf_counter() - started
    print(f"wrote {written:,} lines to {args.out} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
