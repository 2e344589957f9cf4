"""Public names report the module users import them from.

A class defined in ``awskit/_errors.py`` and exported by ``awskit`` would otherwise show
as ``awskit._errors.InvalidInput`` in tracebacks, reprs and pickles. Each public package
calls ``publish`` on its own namespace once its names are bound.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterable, Mapping
from typing import Any

# Modules that have published their names: what they export is already public.
_published: set[str] = set()


def publish(namespace: Mapping[str, Any], names: Iterable[str] | None = None) -> None:
    """Set ``__module__`` to the public module for exported classes and functions.

    Only objects defined below the public module are touched (so boto3's ``Key`` keeps
    its own), and only under the name they were defined with (an alias is left alone).
    An object already exported by the public module it was defined in keeps that module,
    so a name re-exported by two public modules reports the first that published it.

    Annotations of a class are evaluated first, in the module that defined it:
    ``typing.get_type_hints`` (and pydantic, for a dataclass inside a user's model) look
    names up in ``sys.modules[cls.__module__]``, where the private module's imports are
    not. An annotation that only resolves under ``TYPE_CHECKING`` stays a string.
    """
    public = str(namespace["__name__"])
    _published.add(public)
    for name in namespace["__all__"] if names is None else names:
        obj = namespace.get(name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        owner = getattr(obj, "__module__", None)
        if not isinstance(owner, str) or not owner.startswith(public + "."):
            continue
        if obj.__qualname__ != name or owner in _published:
            continue
        if inspect.isclass(obj):
            _resolve_annotations(obj, sys.modules[owner])
        obj.__module__ = public


def _resolve_annotations(cls: type, module: Any) -> None:
    # The class's own dict, written in place: inspect.get_annotations returns a copy.
    own = cls.__dict__.get("__annotations__")  # noqa: RUF063
    if not isinstance(own, dict):
        return
    scope = dict(vars(cls))
    for field, annotation in own.items():
        if isinstance(annotation, str):
            # One that fails is left for a later get_type_hints to report, as before.
            with contextlib.suppress(Exception):
                own[field] = eval(annotation, vars(module), scope)
    # pydantic reads a dataclass's field types from its Field objects, not __annotations__.
    fields = cls.__dict__.get("__dataclass_fields__", {})
    for field, resolved in own.items():
        if field in fields and not isinstance(resolved, str):
            fields[field].type = resolved
