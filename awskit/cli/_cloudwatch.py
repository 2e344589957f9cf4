"""``awskit cloudwatch``: list, put and delete alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from awskit import InvalidInput

from ._app import Options, command, group

if TYPE_CHECKING:
    from awskit.cloudwatch import AnyAlarm, PutAlarm

__all__ = ["alarms", "delete_alarms", "put_alarm", "read_alarms"]

cw_app = group("cloudwatch", "Amazon CloudWatch: alarms.")


def read_alarms(data: Any) -> list[PutAlarm]:
    """Alarms from parsed JSON: one object or a list; awskit's snake_case fields
    (``name``, ``metric_name``, ...) or PutMetricAlarm's own (``AlarmName``, ...)."""
    from awskit.cloudwatch import Alarm, AnomalyAlarm, CompositeAlarm, MetricMathAlarm
    from awskit.cloudwatch.models import alarm_from_request

    items = data if isinstance(data, list) else [data]
    result: list[PutAlarm] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput("file", f"alarm {n} is not a JSON object")
        if "AlarmName" in item:
            # PutMetricAlarm's own fields, read as strictly as any alarm awskit sends.
            result.append(alarm_from_request(item))
        elif "rule" in item:
            result.append(CompositeAlarm(**item))
        elif "threshold_metric_id" in item:
            result.append(AnomalyAlarm(**item))
        elif "metrics" in item:
            result.append(MetricMathAlarm(**item))
        else:
            result.append(Alarm(**item))
    return result


def _row(alarm: AnyAlarm) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": alarm.name,
        "state": alarm.state,
        "state_updated_at": alarm.state_updated_at,
        "description": alarm.description,
    }
    metric = getattr(alarm, "metric_name", None)
    if metric is not None:
        row["metric"] = f"{getattr(alarm, 'namespace', '')}/{metric}"
        row["threshold"] = getattr(alarm, "threshold", None)
        row["comparison"] = getattr(alarm, "comparison", None)
    return row


@command(cw_app, "alarms")
def alarms(
    opts: Options,
    state: Annotated[
        str | None,
        typer.Option("--state", help="OK, ALARM or INSUFFICIENT_DATA.", show_default=False),
    ] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Only alarms whose name starts so.")
    ] = None,
) -> None:
    """List alarms (metric, metric-math and composite).

    Example: awskit cloudwatch alarms --state INSUFFICIENT_DATA
    """
    found = [
        _row(a) for a in opts.session().cloudwatch.alarms(state=state, prefix=prefix, types="all")
    ]
    opts.emit(
        found,
        columns=("Name", "State", "Metric", "Threshold"),
        rows=[
            (a["name"], a["state"], a.get("metric", "-"), a.get("threshold", "-")) for a in found
        ],
    )


@command(cw_app, "put-alarm")
def put_alarm(
    opts: Options,
    file: Annotated[Path, typer.Argument(help="JSON file: one alarm or a list ('-' reads stdin).")],
) -> None:
    """Create or replace alarms described in a JSON file.

    Fields are awskit's (name, comparison, evaluation_periods, metric_name, namespace,
    period, statistic, threshold, ...) or PutMetricAlarm's (AlarmName, ...).

    Example: awskit cloudwatch put-alarm cpu-alarm.json
    """
    import sys

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput("file", f"{file} is not JSON: {exc}") from None
    wanted = read_alarms(data)
    cw = opts.session().cloudwatch
    cw.put_alarms(wanted)
    names = [a.name for a in wanted]
    if opts.json:
        opts.emit({"put": names})
    else:
        opts.say(f"put {len(names)} alarm(s): {', '.join(names)}")


@command(cw_app, "delete-alarms")
def delete_alarms(
    opts: Options,
    names: Annotated[list[str], typer.Argument(help="Alarm names.", show_default=False)],
) -> None:
    """Delete alarms by name (any number; composites first).

    Example: awskit cloudwatch delete-alarms Web_Server_CPU_Utilization
    """
    deleted = opts.session().cloudwatch.delete_alarms(names)
    missing = [name for name in dict.fromkeys(names) if name not in deleted]
    if opts.json:
        opts.emit({"deleted": deleted, "not_found": missing})
    elif not missing:
        opts.say(f"deleted {len(deleted)} alarm(s): {', '.join(deleted)}")
    if missing:
        from awskit import NotFound

        raise NotFound(
            f"no such alarm: {', '.join(missing)} (deleted {len(deleted)} other(s))",
            code="ResourceNotFound",
        )
