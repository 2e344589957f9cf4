"""tools/convert_docstrings.py: reST roles and ``Example::`` blocks become mkdocstrings Markdown.

The lead reruns the script after merging other branches, on text that is partly converted
already, so every case is also checked for idempotence. The last test holds awskit/ to
it: a reST role or ``Example::`` that lands in a docstring fails here, with the command
that fixes it.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import types
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "convert_docstrings", ROOT / "tools" / "convert_docstrings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def index(tool: ModuleType) -> Any:
    return tool.PublicIndex(ROOT / "docs" / "reference.md")


def convert(tool: ModuleType, index: Any, text: str, module: str, *classes: str) -> str:
    context = tool.context_for(module, list(classes), index)
    once = tool.convert_docstring(text, index, context)
    assert tool.convert_docstring(once, index, context) == once, "not idempotent"
    return once


@pytest.mark.parametrize(
    ("role", "module", "classes", "expected"),
    [
        (":func:`connect`", "awskit", [], "[connect][awskit.connect]"),
        (":class:`~awskit.sqs.SQS`", "awskit", [], "[SQS][awskit.sqs.SQS]"),
        (":class:`awskit.sqs.SQS`", "awskit", [], "[awskit.sqs.SQS][awskit.sqs.SQS]"),
        (":meth:`Queue.send`", "awskit.sqs.queue", [], "[Queue.send][awskit.sqs.Queue.send]"),
        # A method of the class the docstring sits in.
        (
            ":meth:`complete`",
            "awskit.ebs.writer",
            ["SnapshotWriter"],
            "[complete][awskit.ebs.SnapshotWriter.complete]",
        ),
        # Defined in a private module or submodule: linked at, and shown as, the public path.
        (
            ":exc:`~awskit._errors.InvalidInput`",
            "awskit.s3",
            [],
            "[InvalidInput][awskit.InvalidInput]",
        ),
        (
            ":class:`awskit.dynamo.batch.BatchWriter`",
            "awskit.dynamo.table",
            [],
            "[awskit.dynamo.BatchWriter][awskit.dynamo.BatchWriter]",
        ),
        (
            ":class:`~awskit.NotFound`",
            "awskit.cloudwatch.facade",
            [],
            "[NotFound][awskit.NotFound]",
        ),
        (
            ":attr:`Paged.next_token`",
            "awskit._paging",
            [],
            "[Paged.next_token][awskit.Paged.next_token]",
        ),
        (":class:`Retrier`", "awskit.ebs.flow", [], "`Retrier`"),
        # Not in the reference (private, or a submodule): code, never a dangling link.
        (":func:`scrub`", "awskit._errors", [], "`scrub`"),
        (":mod:`awskit.dynamo.codec`", "awskit.dynamo", [], "`awskit.dynamo.codec`"),
        (":data:`TRANSIENT_CODES`", "awskit._retry", [], "`TRANSIENT_CODES`"),
        (":mod:`.transact`", "awskit.dynamo", [], "`transact`"),
        (":class:`the queue <awskit.sqs.Queue>`", "awskit", [], "[the queue][awskit.sqs.Queue]"),
        (":class:\n    `awskit.sqs.SQS`", "awskit", [], "[awskit.sqs.SQS][awskit.sqs.SQS]"),
    ],
)
def test_roles_become_links_or_code(
    tool: ModuleType, index: Any, role: str, module: str, classes: list[str], expected: str
) -> None:
    assert convert(tool, index, f"See {role}.", module, *classes) == f"See {expected}."


def test_links_to_a_private_path_are_moved_to_the_public_one(tool: ModuleType, index: Any) -> None:
    text = "Raises [InvalidInput][awskit._errors.InvalidInput]; see [Queue][awskit.sqs.Queue]."
    assert convert(tool, index, text, "awskit.sqs.queue") == (
        "Raises [InvalidInput][awskit.InvalidInput]; see [Queue][awskit.sqs.Queue]."
    )


def test_example_block_becomes_a_google_section_with_fenced_code(
    tool: ModuleType, index: Any
) -> None:
    text = (
        "Send one message.\n"
        "\n"
        "        Example::\n"
        "\n"
        "            queue.send(Greeting(name='world'))\n"
        "            for msg in queue.receive():\n"
        "                print(msg.body)  # :class:`Greeting` stays as written in code\n"
        "\n"
        "        Returns:\n"
        "            The result.\n"
        "        "
    )
    assert convert(tool, index, text, "awskit.sqs.queue", "Queue") == (
        "Send one message.\n"
        "\n"
        "        Example:\n"
        "            ```python\n"
        "            queue.send(Greeting(name='world'))\n"
        "            for msg in queue.receive():\n"
        "                print(msg.body)  # :class:`Greeting` stays as written in code\n"
        "            ```\n"
        "\n"
        "        Returns:\n"
        "            The result.\n"
        "        "
    )


def test_inline_example_is_split_from_its_paragraph(tool: ModuleType, index: Any) -> None:
    text = "Wait.\n\n    Polls until done. Example::\n\n        aws.ebs.wait(snap_id)\n    "
    assert convert(tool, index, text, "awskit.ebs", "EBS") == (
        "Wait.\n\n    Polls until done.\n\n    Example:\n        ```python\n"
        "        aws.ebs.wait(snap_id)\n        ```\n    "
    )


def test_other_literal_blocks_become_fenced_text(tool: ModuleType, index: Any) -> None:
    text = "The tree.\n\n::\n\n    AwskitError\n    └── NotFound\n\nThe rest::\n\n    a = 1\n"
    assert convert(tool, index, text, "awskit._errors") == (
        "The tree.\n\n```text\nAwskitError\n└── NotFound\n```\n\n"
        "The rest:\n\n```python\na = 1\n```\n"
    )


def test_lines_made_too_long_are_rewrapped(tool: ModuleType, index: Any) -> None:
    text = (
        "Summary.\n\n"
        "    Get one from :meth:`awskit.sqs.SQS.create_queue`, :meth:`~awskit.sqs.SQS.get_queue`"
        " or\n    :meth:`~awskit.sqs.SQS.queues`. Safe to share between threads.\n    "
    )
    out = convert(tool, index, text, "awskit.sqs.queue", "Queue")
    assert all(len(line) <= 100 for line in out.split("\n"))
    assert " ".join(out.split()) == (
        "Summary. Get one from [awskit.sqs.SQS.create_queue][awskit.sqs.SQS.create_queue], "
        "[get_queue][awskit.sqs.SQS.get_queue] or [queues][awskit.sqs.SQS.queues]. "
        "Safe to share between threads."
    )
    assert out.split("\n")[2].startswith("    Get one")  # the paragraph keeps its indent


def test_only_docstrings_are_rewritten(tool: ModuleType, index: Any) -> None:
    source = textwrap.dedent(
        '''\
        """Module: see :class:`awskit.sqs.Queue`."""

        NOTE = "a plain string with :class:`Queue` is data, not a docstring"


        class Thing:
            """A thing. Example::

                Thing()
            """

            def method(self) -> None:
                """Calls :func:`awskit.connect`."""
                text = ":func:`connect`"
        '''
    )
    out = tool.convert_source(source, "probe", index)
    assert out == textwrap.dedent(
        '''\
        """Module: see [awskit.sqs.Queue][awskit.sqs.Queue]."""

        NOTE = "a plain string with :class:`Queue` is data, not a docstring"


        class Thing:
            """A thing.

            Example:
                ```python
                Thing()
                ```
            """

            def method(self) -> None:
                """Calls [awskit.connect][awskit.connect]."""
                text = ":func:`connect`"
        '''
    )
    assert tool.convert_source(out, "probe", index) == out


def test_awskit_has_nothing_left_to_convert(tool: ModuleType) -> None:
    # After merging branches: .venv/bin/python tools/convert_docstrings.py
    assert tool.main(["--check"]) == 0


@pytest.mark.parametrize(
    "text",
    ["", "```\n:class:`X`\n```", "a\n```\nb\n```\n```\nc\n```", "x\n```\n:func:`y`\n", "\n\n"],
)
def test_code_blocks_are_left_alone_and_text_kept(tool: ModuleType, index: Any, text: str) -> None:
    assert convert(tool, index, text, "awskit") == text


def test_a_name_the_module_defines_is_never_linked_to_a_namesake(
    tool: ModuleType, index: Any
) -> None:
    # awskit.sqs.Queue is rendered, but inside a module whose own ``Queue`` is something
    # else (awskit.aio's), that other Queue is meant: code, not a link to the sync one.
    context = tool.Context(module=None, package=None, cls=None)
    other = types.ModuleType("awskit.aio.probe")
    other.Queue = type("Queue", (), {"__doc__": "async"})  # type: ignore[attr-defined]
    context.module = other
    out = tool.convert_docstring("A :class:`Queue`.", index, context)
    assert out == "A `Queue`."
    context.module = None
    assert tool.convert_docstring("A :class:`Queue`.", index, context) == (
        "A [Queue][awskit.sqs.Queue]."
    )
