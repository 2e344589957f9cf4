"""Every public module declares its API once: __all__ sorted, and every name imports."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC = ["awskit", "awskit.sqs", "awskit.dynamo", "awskit.cloudwatch", "awskit.ebs", "awskit.s3"]


def isort_style(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    if name.isupper() or (name.upper() == name and any(c.isalpha() for c in name)):
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(set(exported)) == len(exported)
    # Either plain sorted() or the isort-style order ruff's fix writes: both read sorted.
    assert exported in (sorted(exported), sorted(exported, key=isort_style))
    for attr in exported:
        assert getattr(module, attr) is not None


def test_top_level_names() -> None:
    import awskit

    for attr in ("connect", "local", "Session", "RetryPolicy", "InvalidInput", "NotFound"):
        assert attr in awskit.__all__
    assert issubclass(awskit.InvalidInput, ValueError)
    assert issubclass(awskit.InvalidInput, awskit.AwskitError)
    with pytest.raises(AttributeError):
        awskit.no_such_name  # noqa: B018


def test_import_awskit_stays_cheap() -> None:
    code = (
        "import sys, awskit; awskit.connect;"
        "heavy = {'pydantic', 'moto', 'typer', 'rich', 'tenacity', 'awskit.sqs', 'awskit.dynamo',"
        " 'awskit.ebs', 'awskit.s3', 'awskit.cloudwatch'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
