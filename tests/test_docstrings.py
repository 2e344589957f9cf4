"""Every public name has a docstring, as mkdocstrings will render it into the API reference.

docs/reference.md renders each public module with mkdocstrings, which reads the source
through griffe: a function's or class's docstring, and for a constant or type alias the
string literal right after its assignment (a ``#:`` comment is not rendered). So the check
asks griffe what it sees, for every name in each public module's ``__all__`` and every
public method and property of the facades and main types. A name re-exported from another
library (which griffe does not load) is checked through its runtime ``__doc__``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path
from typing import Any

import griffe
import pytest

ROOT = Path(__file__).resolve().parent.parent

PUBLIC = ["awskit", "awskit.sqs", "awskit.dynamo", "awskit.cloudwatch", "awskit.ebs", "awskit.s3"]

# The facades and main types whose public methods the reference lists one by one.
MAIN_TYPES = {
    "awskit": ["Session", "RetryPolicy"],
    "awskit.sqs": ["SQS", "Queue", "Message"],
    "awskit.dynamo": ["DynamoDB", "Table", "BatchWriter"],
    "awskit.cloudwatch": ["CloudWatch", "Alarm"],
    "awskit.ebs": ["EBS", "SnapshotWriter"],
    "awskit.s3": ["S3", "Bucket"],
}


@pytest.fixture(scope="module")
def loader() -> griffe.GriffeLoader:
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)])
    for name in PUBLIC:
        loader.load(name)
    loader.resolve_aliases(external=False, implicit=False)
    return loader


def griffe_object(loader: griffe.GriffeLoader, module: str, name: str) -> Any:
    """What griffe (so mkdocstrings) sees for ``module.name``, aliases followed; None if
    it points outside awskit."""
    obj: Any = loader.modules_collection[module][name]
    if obj.is_alias:
        try:
            obj = obj.final_target
        except griffe.AliasResolutionError:
            return None
    return obj


def rendered_doc(loader: griffe.GriffeLoader, module: str, name: str) -> str:
    obj = griffe_object(loader, module, name)
    if obj is None:
        # Re-exported from a library griffe does not load (boto3's Key and Attr):
        # mkdocstrings would show that library's own docstring.
        runtime = getattr(importlib.import_module(module), name)
        return (runtime.__doc__ or "").strip()
    return (obj.docstring.value if obj.docstring else "").strip()


@pytest.mark.parametrize("module", PUBLIC)
def test_public_module_has_a_docstring(loader: griffe.GriffeLoader, module: str) -> None:
    doc = loader.modules_collection[module].docstring
    assert doc is not None and doc.value.strip(), f"{module} has no module docstring"


def _ours(module: str, name: str) -> bool:
    """False for a class or function re-exported from another library (boto3's ``Key``):
    that library documents it, and awskit must not rewrite another package's docstrings.

    Constants and type aliases (``Body``, ``AnyAlarm``) are always awskit's own: they are
    assigned in awskit even though their value's ``__module__`` says ``typing``.
    """
    obj = getattr(importlib.import_module(module), name)
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return str(obj.__module__).startswith("awskit")
    return True


def public_names() -> list[tuple[str, str]]:
    return [
        (module, name)
        for module in PUBLIC
        for name in importlib.import_module(module).__all__
        if not name.startswith("_")  # __version__ is a plain string
        and _ours(module, name)
    ]


@pytest.mark.parametrize(("module", "name"), public_names())
def test_public_name_has_a_docstring(loader: griffe.GriffeLoader, module: str, name: str) -> None:
    assert rendered_doc(loader, module, name), f"{module}.{name} has no docstring"


def public_members() -> list[tuple[str, str, str]]:
    """(module, class, member) for every public method and property defined in a main type.

    Taken at runtime from the class body, so a member griffe failed to see still counts.
    """
    out = []
    for module, classes in MAIN_TYPES.items():
        mod = importlib.import_module(module)
        for cls_name in classes:
            cls = getattr(mod, cls_name)
            # Fields are attributes (RetryPolicy.sleep's default is a function), not methods.
            fields = (
                {f.name for f in dataclasses.fields(cls)}
                if dataclasses.is_dataclass(cls)
                else set()
            )
            fields |= set(getattr(cls, "model_fields", {}))
            for member, value in vars(cls).items():
                if member.startswith("_") or member in fields:
                    continue
                if isinstance(value, (staticmethod, classmethod, property)) or callable(value):
                    if isinstance(value, type):
                        continue  # nested classes are not methods
                    out.append((module, cls_name, member))
    return out


@pytest.mark.parametrize(("module", "cls", "member"), public_members())
def test_public_method_has_a_docstring(
    loader: griffe.GriffeLoader, module: str, cls: str, member: str
) -> None:
    owner = griffe_object(loader, module, cls)
    assert owner is not None, f"{module}.{cls} is not awskit's own class"
    assert member in owner.members, f"griffe does not see {module}.{cls}.{member}"
    obj = owner.members[member]
    doc = obj.docstring.value.strip() if obj.docstring else ""
    assert doc, f"{module}.{cls}.{member} has no docstring"


def test_the_lists_cover_what_api_md_names() -> None:
    # The parametrisations above really reach the names API.md uses.
    members = {(c, m) for _, c, m in public_members()}
    for expected in [
        ("SQS", "create_queue"),
        ("Queue", "send"),
        ("Queue", "attributes"),
        ("Message", "change_visibility"),
        ("Table", "update"),
        ("BatchWriter", "put"),
        ("CloudWatch", "set_alarm_state"),
        ("EBS", "upload"),
        ("SnapshotWriter", "put_block"),
        ("Bucket", "presigned_url"),
        ("Session", "client"),
        ("RetryPolicy", "drain"),
    ]:
        assert expected in members
    names = set(public_names())
    assert ("awskit.ebs", "BLOCK_SIZE") in names and ("awskit", "connect") in names
    # Type aliases are checked too; only boto3's own classes are left to boto3.
    for alias in [
        ("awskit.s3", "Body"),
        ("awskit.cloudwatch", "AnyAlarm"),
        ("awskit.sqs", "AttributeValue"),
    ]:
        assert alias in names
    assert ("awskit.dynamo", "Key") not in names


def test_griffe_check_sees_missing_docstrings(tmp_path: Path) -> None:
    # The check itself can fail: a constant with only a ``#:`` comment and a method with no
    # docstring are both reported as empty.
    pkg = tmp_path / "probe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        '"""Probe."""\n\n'
        "#: Only a comment.\n"
        "COMMENTED = 1\n"
        "DOCUMENTED = 2\n"
        '"""Rendered."""\n\n\n'
        "class Thing:\n"
        '    """A thing."""\n\n'
        "    def bare(self) -> None:\n"
        "        pass\n"
    )
    loader = griffe.GriffeLoader(search_paths=[str(tmp_path)])
    module = loader.load("probe")
    assert not module["COMMENTED"].docstring
    assert module["DOCUMENTED"].docstring.value == "Rendered."
    assert not module["Thing"].members["bare"].docstring
