"""Run every benchmark side by side and rewrite docs/benchmarks.md (and the chart).

Usage: ``python -m bench [--quick] [--only sqs,dynamo,...]``. A full run rewrites the
file; ``--only`` rewrites, for each benchmark named, only its own section of it (between
``<!-- bench:NAME -->`` markers, added before "## Method" the first time), so that a few
rows can be refreshed without the minutes of a full run. Each ``bench/<name>.py``
exposes ``run(quick) -> rows`` (``peer_s``/``awskit_s`` in seconds unless the row names
another ``unit``); a module may also expose ``sweep(quick)`` returning
``{"label": [(concurrency, items_per_second), ...]}`` for the throughput chart.
Nothing here is a test: figures from a shared 2-core machine are indications, and the
file records the command and the machine they came from.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

MODULES = [
    "importtime",
    "sqs",
    "dynamo_codec",
    "dynamo",
    "cloudwatch",
    "ebs",
    "s3",
    "writepath",
    "ebsflow",
]
TITLES = {
    "importtime": "Import time",
    "sqs": "SQS",
    "dynamo_codec": "DynamoDB: decoding",
    "dynamo": "DynamoDB",
    "cloudwatch": "CloudWatch",
    "ebs": "EBS direct APIs",
    "s3": "S3",
    "writepath": "Bulk writes: CPU and memory",
    "ebsflow": "EBS: adaptive concurrency",
}
DOCS = Path(__file__).resolve().parent.parent / "docs"


def _ratio(row: dict[str, Any]) -> str:
    peer, ours = float(row["peer_s"]), float(row["awskit_s"])
    return f"{ours / peer:.2f}x" if peer > 0 else "n/a"


def _fmt(seconds: Any, unit: str = "s") -> str:
    if unit != "s":  # a row measuring something else than time (peak memory, say)
        return f"{float(seconds):.0f} {unit}"
    s = float(seconds)
    return f"{s * 1000:.2f} ms" if s < 1 else f"{s:.2f} s"


def write_report(
    results: dict[str, list[dict[str, Any]]],
    failures: dict[str, str],
    command: str,
    elapsed: float,
    charts: dict[str, str],
) -> Path:
    lines = [
        "# Benchmarks",
        "",
        "Produced by `" + command + "` on "
        f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}; the whole run took "
        f"{elapsed:.0f} s. Every row ran awskit and its peer in the same run, on the same "
        "loopback endpoint (moto's server; for EBS the strict EBS server), through the test "
        "fault proxy where a latency is named. The ratio is awskit's time over the peer's: "
        "below 1.00x awskit is faster. The machine is shared and noisy: read ratios, not "
        "absolute times.",
    ]
    # One table per benchmark, its chart right under it: a single table of every row is
    # too wide for the page and left the chart far from the rows it draws. Each sits between
    # markers, so that ``--only`` can rewrite it alone.
    for name in [*results, *(n for n in failures if n not in results)]:
        lines += ["", *_section(name, results, failures, charts.get(name))]
    lines += [
        "",
        "## Method",
        "",
        "- Client-side overhead: botocore's `before-send` hook answers with canned responses "
        "(`tests/canned.py`), so only serialisation, parsing and awskit's own work are timed.",
        "- Throughput: `tests/faults.py`'s proxy adds a fixed delay per request in front of "
        "moto (or the strict EBS server of `tests/ebs_strict.py`), standing in for a real "
        "network round trip. For SQS, DynamoDB and EBS both serve from a child process, so "
        "serving does not share the client's GIL; CloudWatch and S3 serve in-process.",
        "- Close contenders run in turn, several times, and the median is reported. A target "
        "set against a hand-tuned loop compares at equal concurrency (EBS: 32 threads, and "
        "dsnap's 50); awskit's default EBS concurrency (16) is shown beside a 16-thread loop, "
        "the most 16 requests in flight allow.",
        "- Peers are written as their documentation shows; the hand-tuned threaded boto3 client "
        "is the ceiling this machine allows at its concurrency.",
        "",
    ]
    path = DOCS / "benchmarks.md"
    path.write_text("\n".join(lines))
    return path


def _row_line(row: dict[str, Any]) -> str:
    return (
        f"| {row['operation']} | {row['peer']} | "
        f"{_fmt(row['peer_s'], row.get('unit', 's'))} | "
        f"{_fmt(row['awskit_s'], row.get('unit', 's'))} | {_ratio(row)} | "
        f"{row.get('note', '')} |"
    )


def _section(
    name: str,
    results: dict[str, list[dict[str, Any]]],
    failures: dict[str, str],
    chart: str | None,
    produced: str | None = None,
) -> list[str]:
    """The lines of one benchmark's section: its table, its chart, between markers."""
    lines = [f"<!-- bench:{name} -->", "", f"## {TITLES.get(name, name)}", ""]
    if produced:
        lines += [produced, ""]
    lines += [
        "| operation | peer | peer value | awskit value | ratio | notes |",
        "| --- | --- | --- | --- | --- | --- |",
        *(_row_line(row) for row in results.get(name, [])),
        *([f"| did not run | | | | | {failures[name]} |"] if name in failures else []),
    ]
    if chart:
        lines += ["", f"![{name}: throughput against concurrency]({chart})"]
    return [*lines, "", f"<!-- /bench:{name} -->"]


def write_sections(
    results: dict[str, list[dict[str, Any]]],
    failures: dict[str, str],
    command: str,
    elapsed: float,
) -> Path:
    """Rewrite only the sections of the benchmarks run (``--only``), keeping the rest."""
    path = DOCS / "benchmarks.md"
    text = path.read_text()
    for name in [*results, *failures]:
        start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        produced = (
            f"Produced by `{command}` on {datetime.date.today().isoformat()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.machine()}; the run took {elapsed:.0f} s."
        )
        lines = _section(name, results, failures, None, produced)
        section = "\n".join(lines)
        if start in text and end in text:
            before, rest = text.split(start, 1)
            text = before + section + rest.split(end, 1)[1]
        elif "## Method" in text:
            before, after = text.split("## Method", 1)
            text = before + section + "\n\n## Method" + after
        else:
            text += "\n" + section + "\n"
    path.write_text(text)
    return path


def draw_chart(sweeps: dict[str, dict[str, list[tuple[int, float]]]]) -> dict[str, str]:
    """One throughput chart per benchmark that sweeps concurrency: ``{name: file name}``."""
    if not sweeps:
        return {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    charts = {}
    for name, series in sweeps.items():
        fig, ax = plt.subplots(figsize=(7, 4.8))
        # a unit every label ends with, as in "awskit upload (MiB/s)", goes on the y axis
        units = {label.rsplit("(", 1)[-1].rstrip(")") for label in series}
        unit = units.pop() if len(units) == 1 and all(x.endswith(")") for x in series) else None
        shown_labels = [label.rsplit(" (", 1)[0] if unit else label for label in series]
        # "awskit upload" and "hand-tuned boto3 upload" share a colour when every series
        # ends with the operation it measures, so each pair reads at a glance
        operations = sorted({shown.split()[-1] for shown in shown_labels})
        paired = len(operations) < len(series)
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        levels: set[int] = set()
        for (label, points), shown in zip(series.items(), shown_labels, strict=True):
            xs, ys = zip(*sorted(points), strict=True)
            levels.update(xs)
            # awskit solid, its peers dashed: the comparison is what the chart is for
            ours = label.lower().startswith("awskit")
            colour = colours[operations.index(shown.split()[-1]) % len(colours)] if paired else None
            ax.plot(
                xs,
                ys,
                marker="o" if ours else "s",
                linestyle="-" if ours else "--",
                linewidth=2 if ours else 1.5,
                label=shown,
                color=colour,
            )
        if levels and min(levels) > 0:
            # concurrency doubles from point to point: a log2 axis spaces them evenly
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_locator(FixedLocator(sorted(levels)))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_locator(NullLocator())
        ax.set_ylim(bottom=0)
        ax.set_title(f"{name}: throughput against concurrency")
        ax.set_xlabel("concurrency (workers / threads)")
        ax.set_ylabel(f"throughput ({unit})" if unit else "items per second")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize="small")
        fig.tight_layout()
        charts[name] = f"throughput-{name}.png"
        fig.savefig(DOCS / charts[name], dpi=110)
        plt.close(fig)
    return charts


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated benchmark names, of {','.join(MODULES)}; rewrites only their "
        "sections of docs/benchmarks.md",
    )
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or MODULES
    results: dict[str, list[dict[str, Any]]] = {}
    failures: dict[str, str] = {}
    sweeps: dict[str, dict[str, list[tuple[int, float]]]] = {}
    start = time.perf_counter()
    for name in names:
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            results[name] = module.run(quick=args.quick)
            if hasattr(module, "sweep"):
                sweeps[name] = module.sweep(quick=args.quick)
        except Exception as exc:  # a benchmark that breaks is reported, not hidden
            traceback.print_exc()
            failures[name] = f"{type(exc).__name__}: {exc}"
    command = "python -m bench" + " ".join(["", *sys.argv[1:]])
    elapsed = time.perf_counter() - start
    if args.only:
        path = write_sections(results, failures, command, elapsed)
    else:
        path = write_report(results, failures, command, elapsed, draw_chart(sweeps))
    print(f"wrote {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
