"""``python -m bench engine|human``: the engine's throughput, and a server with runs waiting for people.

``python -m bench engine [--quick] [--json] [--repeat N] [--profile FILE]`` (``make bench``);
``python -m bench human [--runs N] [--quick] [--json]`` (``make bench-human``);
``python -m bench api [--runs N] [--quick] [--json]`` (``make bench-api``);
``python -m bench scale [--steps N] [--scripts N] [--workers 1,2,4] [--json]`` (``make bench-scale``);
``python -m bench cli [--quick] [--json]`` (``make bench-cli``): a command's start-up CPU, serve to /ready;
``python -m bench scripts [--quick] [--json] [--repeat N]`` (``make bench-scripts``).

Benchmarks are figures to compare before and after a change, not tests: a missed target is
reported as MISS and the exit status stays 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lockgate.settings import Settings

_SYNCHRONOUS = ("full", "normal")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    engine = commands.add_parser("engine", help="durable no-op pipelines on SQLite against the disk's floor")
    engine.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not figures")
    engine.add_argument("--json", action="store_true", help="print the results as one JSON document")
    engine.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="cProfile the chain scenario: FILE.loop.prof and FILE.db.prof (one per thread)",
    )
    engine.add_argument(
        "--synchronous",
        choices=_SYNCHRONOUS,
        default=None,
        help="SQLite synchronous for both the engine and the floor (default: the product's)",
    )
    engine.add_argument("--repeat", type=int, default=1, help="runs per scenario; the fastest is reported")
    human = commands.add_parser(
        "human", help="lockgate serve with N runs waiting for a person: memory, inbox, approval"
    )
    human.add_argument("--runs", type=int, default=10_000, help="runs waiting at once (default 10,000)")
    human.add_argument("--quick", action="store_true", help="200 runs and 5 samples: a smoke test, not figures")
    human.add_argument("--samples", type=int, default=30, help="requests per timing (the median is reported)")
    human.add_argument("--json", action="store_true", help="print the results as one JSON document")
    human.add_argument("--synchronous", choices=_SYNCHRONOUS, default=None, help="SQLite synchronous of the server")
    api = commands.add_parser(
        "api", help="lockgate serve with 100,000 runs: run listing latency and throughput, webhooks"
    )
    api.add_argument("--runs", type=int, default=100_000, help="runs in the database (default 100,000)")
    api.add_argument("--quick", action="store_true", help="2,000 runs, few samples: a smoke test, not figures")
    api.add_argument("--json", action="store_true", help="print the results as one JSON document")
    api.add_argument("--synchronous", choices=_SYNCHRONOUS, default=None, help="SQLite synchronous of the server")
    scale = commands.add_parser(
        "scale", help="steps through the local executor and 1, 2, 4 Celery workers (PostgreSQL, Redis started here)"
    )
    scale.add_argument("--steps", type=int, default=10_000, help="no-op steps per configuration (default 10,000)")
    scale.add_argument("--scripts", type=int, default=1_000, help="script steps per configuration (default 1,000)")
    scale.add_argument("--workers", type=_counts, default=(1, 2, 4), help="worker counts, comma-separated (1,2,4)")
    scale.add_argument("--concurrency", type=int, default=2, help="steps at once per process (default 2)")
    scale.add_argument("--window", type=int, default=4, help="runs of 10 items open at once (default 4)")
    scale.add_argument("--probes", type=int, default=100, help="single no-op runs one after another (default 100)")
    scale.add_argument("--postgres", default=None, help="admin URL of a running PostgreSQL (default: start one)")
    scale.add_argument("--redis", default=None, help="URL of a running Redis (default: start one)")
    scale.add_argument("--json", action="store_true", help="print the results as one JSON document")
    cli = commands.add_parser("cli", help="CPU of lockgate --help and runs list against python -c pass; serve → /ready")
    cli.add_argument("--quick", action="store_true", help="3 processes per figure, one serve: a smoke test")
    cli.add_argument("--json", action="store_true", help="print the results as one JSON document")
    scripts = commands.add_parser(
        "scripts", help="a sandboxed script step and a for_each of scripts, against bare starts"
    )
    scripts.add_argument("--quick", action="store_true", help="small sizes, one round: a smoke test, not figures")
    scripts.add_argument("--json", action="store_true", help="print the results as one JSON document")
    scripts.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported (default 3)")
    peer = commands.add_parser("peer", help="(internal) LangGraph's chain with SqliteSaver, JSON on stdout")
    peer.add_argument("size", type=int)
    peer.add_argument("--home", type=Path, required=True)
    peer.add_argument("--synchronous", choices=_SYNCHRONOUS, default="full")
    scenario = commands.add_parser("scenario", help="(internal) one scenario in this process, JSON on stdout")
    scenario.add_argument("kind", choices=("chain", "fan_out", "transform_chain", "concurrent"))
    scenario.add_argument("size", type=int)
    scenario.add_argument("--home", type=Path, required=True)
    scenario.add_argument("--max-parallel", type=int, default=None)
    scenario.add_argument("--synchronous", choices=_SYNCHRONOUS, default="full")
    scenario.add_argument("--profile", type=Path, default=None)
    scenario.add_argument("--executor", action="store_true", help="noop through the executor, not inline")
    scenario.add_argument("--again", action="store_true", help="then run the same version once more, timed apart")
    return parser


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(",") if part.strip())
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be positive integers, not {text!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "cli":
        from bench.cli import CliOptions, run_cli_bench
        from bench.cli import format_text as cli_text

        cli_report = run_cli_bench(CliOptions(samples=3, serve_samples=1) if args.quick else CliOptions())
        sys.stdout.write((json.dumps(cli_report, indent=2) if args.json else cli_text(cli_report)) + "\n")
        return 0
    if args.command == "scale":
        from bench.scale import ScaleOptions, run_scale_bench
        from bench.scale import format_text as scale_text

        scale_report = run_scale_bench(
            ScaleOptions(steps=args.steps, scripts=args.scripts, workers=args.workers, concurrency=args.concurrency,
                         window=args.window, probes=args.probes, postgres=args.postgres, redis=args.redis)
        )  # fmt: skip
        sys.stdout.write((json.dumps(scale_report, indent=2) if args.json else scale_text(scale_report)) + "\n")
        return 0
    if args.command == "scripts":
        from bench.scripts import ScriptsOptions, run_scripts_bench
        from bench.scripts import format_text as scripts_text

        sizes = ScriptsOptions(starts=5, chain=5, items=20, repeat=1) if args.quick else ScriptsOptions()
        scripts_report = run_scripts_bench(ScriptsOptions(sizes.starts, sizes.chain, sizes.items,
                                                          1 if args.quick else max(1, args.repeat)))  # fmt: skip
        sys.stdout.write((json.dumps(scripts_report, indent=2) if args.json else scripts_text(scripts_report)) + "\n")
        return 0
    if args.command == "peer":
        from bench.peer import run_langgraph_chain

        sys.stdout.write(json.dumps(run_langgraph_chain(args.size, args.home, args.synchronous)) + "\n")
        return 0
    if args.command == "scenario":
        from bench.scenarios import ScenarioKind, run_scenario

        result, profile = run_scenario(
            ScenarioKind(args.kind),
            args.size,
            args.max_parallel,
            args.home,
            args.synchronous,
            args.profile,
            inline=not args.executor,
            again=args.again,
        )
        sys.stdout.write(json.dumps({**result.to_json(), "profile": profile}) + "\n")
        return 0
    if args.command == "api":
        from bench.api import ApiOptions, run_api_bench
        from bench.api import format_text as api_text

        quick = {"runs": 2_000, "samples": 10, "hook_samples": 5, "seconds": 1.0} if args.quick else {}
        api_options = ApiOptions(
            **{"runs": args.runs, **quick}, synchronous=args.synchronous or Settings().sqlite_synchronous
        )
        api_report = run_api_bench(api_options)
        sys.stdout.write((json.dumps(api_report, indent=2) if args.json else api_text(api_report)) + "\n")
        return 0
    if args.command == "human":
        from bench.human import HumanOptions, run_human_bench
        from bench.human import format_text as human_text

        options = HumanOptions(
            runs=200 if args.quick else args.runs,
            samples=5 if args.quick else args.samples,
            synchronous=args.synchronous or Settings().sqlite_synchronous,
        )
        human_report = run_human_bench(options)
        sys.stdout.write((json.dumps(human_report, indent=2) if args.json else human_text(human_report)) + "\n")
        return 0
    from bench.engine import EngineOptions, format_text, run_engine_bench

    synchronous = args.synchronous or Settings().sqlite_synchronous
    report = run_engine_bench(
        EngineOptions(quick=args.quick, synchronous=synchronous, profile=args.profile, repeat=max(1, args.repeat))
    )
    sys.stdout.write((json.dumps(report, indent=2) if args.json else format_text(report)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
