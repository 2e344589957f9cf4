"""Rewrite reST in awskit's docstrings as the Markdown mkdocstrings renders.

mkdocstrings (Google style) shows a Sphinx role such as ``:class:`~awskit.sqs.SQS``` and a
``Example::`` literal block as literal text. This script rewrites, in every docstring under
``awskit/``:

- roles (``:func:``, ``:class:``, ``:meth:``, ``:attr:``, ``:data:``, ``:mod:``,
  ``:exc:``, ``:obj:``, ``:const:``) into autorefs links to the object's public path,
  ``[SQS][awskit.sqs.SQS]``; a target the API reference does not render (a private helper,
  a submodule) becomes inline code, since a link to it would break ``mkdocs --strict``;
- ``Example::`` (also ``... text. Example::``) and its indented block into a Google
  ``Example:`` section holding a fenced ```` ```python ```` block; any other ``text::``
  literal block into ``text:`` and a fenced block;
- autorefs links written to a private path (``[X][awskit._errors.X]``) to the public one.

Public paths come from docs/reference.md (its ``::: module`` directives and ``members:``
lists) and each rendered module's ``__all__``, so the script follows the reference as it
grows. It only reads and writes docstrings, leaves everything else byte for byte, and is
idempotent: text it already converted, or Markdown someone wrote, has nothing left to
rewrite.

Run from the repository root with the project's environment (it imports awskit):

    .venv/bin/python tools/convert_docstrings.py           # rewrite in place, list files
    .venv/bin/python tools/convert_docstrings.py --check   # exit 1 if anything would change
    .venv/bin/python tools/convert_docstrings.py awskit/sqs  # only some paths
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

ROLE = re.compile(
    r":(?:py:)?(?P<role>func|class|meth|attr|data|mod|exc|obj|const):\s*`(?P<target>[^`]+)`"
)
PRIVATE_LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\[(?P<target>awskit(?:\.\w+)+)\]")
FENCE = re.compile(r"^\s*(```|~~~)")
EXAMPLE_HEAD = re.compile(r"^(?P<before>.*?)\s*\b(?P<word>Examples?)$")


# --- what the API reference renders ----------------------------------------------------


def reference_directives(reference: Path) -> list[tuple[str, list[str] | None]]:
    """The ``::: path`` directives of the reference page, with their ``members:`` lists."""
    out: list[tuple[str, list[str] | None]] = []
    members: list[str] | None = None
    in_members = False
    for line in reference.read_text().splitlines():
        directive = re.match(r"^:::\s*(\S+)", line)
        if directive:
            members = None
            in_members = False
            out.append((directive.group(1), None))
            continue
        if not out:
            continue
        if re.match(r"^\s+members:\s*$", line):
            in_members = True
            members = []
            out[-1] = (out[-1][0], members)
            continue
        item = re.match(r"^\s+-\s*(\w+)\s*$", line)
        if in_members and item and members is not None:
            members.append(item.group(1))
        elif line.strip() and not line.startswith(" " * 6):
            in_members = False
    return out


def _has_doc(value: Any) -> bool:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        value = value.fget
    return bool(getattr(value, "__doc__", None))


class PublicIndex:
    """Public, rendered paths of awskit's objects, and how to find them from any module."""

    def __init__(self, reference: Path) -> None:
        self.path_of: dict[int, str] = {}  # id(object) -> public path
        self.rendered: set[str] = set()  # paths the reference renders (link targets)
        self.packages: dict[str, ModuleType] = {}  # rendered modules, by name
        self._keep: list[Any] = []  # keeps ids stable
        for path, members in reference_directives(reference):
            if any(part.startswith("_") for part in path.split(".")):
                continue  # a private module rendered by mistake is no public path
            module = self._import(path)
            if module is None:
                # A single object (``::: awskit.InvalidInput``).
                parent, _, name = path.rpartition(".")
                owner = self._import(parent)
                obj = getattr(owner, name, None) if owner is not None else None
                if obj is not None:
                    self._add(path, obj)
                continue
            self.packages[path] = module
            self.rendered.add(path)
            names = members if members is not None else list(getattr(module, "__all__", []))
            for name in names:
                obj = getattr(module, name, None)
                if obj is not None:
                    self._add(f"{path}.{name}", obj)

    def _add(self, path: str, obj: Any) -> None:
        self.rendered.add(path)
        if inspect.isclass(obj) or inspect.isroutine(obj):
            self.path_of.setdefault(id(obj), path)
            self._keep.append(obj)

    @staticmethod
    def _import(name: str) -> ModuleType | None:
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    def public_path(self, obj: Any) -> str | None:
        if inspect.ismodule(obj):
            return obj.__name__ if obj.__name__ in self.packages else None
        return self.path_of.get(id(obj))

    def member_path(self, owner: Any, path: str, rest: list[str]) -> str | None:
        """``path`` extended by attribute names, each a documented, own, public member."""
        for name in rest:
            if name.startswith("_") or not inspect.isclass(owner) or name not in vars(owner):
                return None
            value = vars(owner)[name]
            if not _has_doc(value):
                return None
            owner, path = value, f"{path}.{name}"
        return path

    def resolve(self, target: str, context: Context) -> str | None:
        """The public path to link for a role's target, or None if it is not rendered."""
        parts = target.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        # The first scope that knows the name decides: in awskit/aio a ``Queue`` is the
        # async one, even where it is not rendered and awskit.sqs.Queue is.
        for head, rest in self._candidates(parts, context):
            base = self.public_path(head)
            return None if base is None else self.member_path(head, base, rest)
        return None

    def _candidates(self, parts: list[str], context: Context) -> Iterator[tuple[Any, list[str]]]:
        # The enclosing class first (``:meth:`complete``` inside SnapshotWriter), then the
        # names the defining module sees, then its public package, then the top level.
        if parts[0] == "awskit":
            for cut in range(len(parts), 0, -1):
                module = self._import(".".join(parts[:cut]))
                if module is not None:
                    yield from self._walk(module, parts[cut:])
                    return
        if context.cls is not None and parts[0] in vars(context.cls):
            yield context.cls, parts
        package = self.packages.get(context.package or "")
        scopes = [context.module, package, self.packages.get("awskit")]
        for scope in scopes:
            if scope is not None and parts[0] in vars(scope):
                yield vars(scope)[parts[0]], parts[1:]
        # A short name exported by exactly one rendered module.
        found = [
            getattr(module, parts[0])
            for module in self.packages.values()
            if parts[0] in getattr(module, "__all__", ())
        ]
        if len({id(obj) for obj in found}) == 1:
            yield found[0], parts[1:]

    def _walk(self, obj: Any, names: list[str]) -> Iterator[tuple[Any, list[str]]]:
        # The deepest published object on the path; what follows are its members.
        found = (obj, names) if self.public_path(obj) is not None else None
        for i, name in enumerate(names):
            obj = getattr(obj, name, None)
            if obj is None:
                break
            if self.public_path(obj) is not None:
                found = (obj, names[i + 1 :])
        if found is not None:
            yield found


@dataclass
class Context:
    """Where a docstring sits: its module, its public package, its enclosing class."""

    module: ModuleType | None
    package: str | None
    cls: type | None


# --- the text rewrite (pure) -------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_python(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def convert_literal_blocks(text: str, indent: int = 0) -> str:
    """``Example::`` and other ``::`` literal blocks into Google sections / fenced code.

    ``indent`` is the docstring's own (its opening quotes' column): the indentation of a
    paragraph that starts on the line of the quotes.
    """
    lines = text.split("\n")
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        stripped = line.rstrip()
        if in_fence or not stripped.endswith("::") or stripped.endswith(":::"):
            out.append(line)
            i += 1
            continue
        para = _indent(line) if i > 0 else indent
        # The block: every following line indented deeper than the paragraph.
        j = i + 1
        block: list[str] = []
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > para):
            block.append(lines[j])
            j += 1
        while block and not block[-1].strip():
            block.pop()
            j -= 1
        if not any(line.strip() for line in block):
            out.append(line)
            i += 1
            continue
        code_lines = [line for line in block if line.strip()]
        cut = min(_indent(line) for line in code_lines)
        code = [line[cut:].rstrip() if line.strip() else "" for line in block]
        while code and not code[0]:
            code.pop(0)
        head = stripped[:-2].strip()
        pad = " " * para
        example = EXAMPLE_HEAD.match(head)
        if example:
            before = example.group("before").strip()
            first = i == 0
            if before:
                out.append((line[: _indent(line)] if not first else "") + before)
            if out and out[-1].strip():
                out.append("")
            out.append(pad + example.group("word") + ":")
            inner = " " * (para + 4)
            out.append(inner + "```python")
            out.extend(inner + c if c else "" for c in code)
            out.append(inner + "```")
        else:
            if head:
                # reST: "text::" keeps one colon, "text ::" none.
                text_line = head + ":" if not stripped[:-2].endswith(" ") else head
                out.append((line[: _indent(line)] if i > 0 else "") + text_line)
                out.append("")
            elif out and out[-1].strip():
                out.append("")
            language = "python" if _is_python("\n".join(code)) else "text"
            out.append(pad + "```" + language)
            out.extend(pad + c if c else "" for c in code)
            out.append(pad + "```")
        i = j
    return "\n".join(out)


def _outside_fences(text: str) -> Iterator[tuple[bool, str]]:
    """Split text into (is_prose, chunk) by whole lines, fenced code blocks being not prose.

    Joined with newlines, the chunks give the text back.
    """
    chunk: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line) and not in_fence:
            if chunk:
                yield True, "\n".join(chunk)
            chunk, in_fence = [line], True
        elif FENCE.match(line):
            yield False, "\n".join([*chunk, line])
            chunk, in_fence = [], False
        else:
            chunk.append(line)
    if chunk or not text:
        yield not in_fence, "\n".join(chunk)


def _display(target: str, title: str | None, linked: str | None) -> str:
    """The text of a link (or code span): what the role showed, at the public path."""
    if title:
        return title
    if target.startswith("~"):
        return target[1:].rsplit(".", 1)[-1]
    if linked and target.startswith("awskit.") and target != linked:
        return linked  # awskit.dynamo.batch.BatchWriter is shown as awskit.dynamo.BatchWriter
    return target.lstrip(".")


def convert_roles(text: str, index: PublicIndex, context: Context) -> str:
    def role(match: re.Match[str]) -> str:
        raw = " ".join(match.group("target").split())
        titled = re.match(r"^(?P<title>.+?)\s*<(?P<target>[^>]+)>$", raw)
        title, target = (titled.group("title"), titled.group("target")) if titled else (None, raw)
        bare = target.lstrip("~").lstrip("!")
        linked = None if bare.startswith(".") else index.resolve(bare, context)
        shown = _display(target.lstrip("!"), title, linked)
        return f"[{shown}][{linked}]" if linked else f"`{shown}`"

    def private_link(match: re.Match[str]) -> str:
        target = match.group("target")
        if not any(part.startswith("_") for part in target.split(".")[1:]):
            return match.group(0)
        linked = index.resolve(target, context)
        return f"[{match.group('text')}][{linked}]" if linked else match.group(0)

    parts = []
    for prose, chunk in _outside_fences(text):
        if prose:
            chunk = ROLE.sub(role, chunk)
            chunk = PRIVATE_LINK.sub(private_link, chunk)
        parts.append(chunk)
    return "\n".join(parts)


HEADER = re.compile(r"^\s*[A-Z]\w*( \w+)*:\s*$")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+\.)\s")
ITEM = re.compile(r"^\s*\*{0,2}\w+( \([^)]*\))?: ")


def rewrap(text: str, first_column: int, indent: int = 0, limit: int = 100) -> str:
    """Break prose lines a rewrite made longer than ``limit`` (ruff's line length).

    The words past the limit go to the start of the next line when it continues the same
    paragraph (or Google item), else onto a new line with the item's hanging indent.
    Code blocks are never touched; a line that has no space to break at is left long.
    ``indent`` is the docstring's own (its opening quotes' column).
    """
    lines = text.split("\n")
    base = indent
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        offset = first_column if i == 0 else 0
        if in_fence or len(line) + offset <= limit:
            i += 1
            continue
        level = _indent(line) if i > 0 else base
        start = _indent(line)
        cut = line.rfind(" ", start + 1, limit - offset + 1)
        if cut <= start:
            i += 1
            continue
        head, tail = line[:cut].rstrip(), line[cut + 1 :].strip()
        lines[i] = head
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        hanging = LIST_ITEM.match(line) or (ITEM.match(line) and level > base)
        continues = (
            nxt.strip()
            and not FENCE.match(nxt)
            and not HEADER.match(nxt)
            and not LIST_ITEM.match(nxt)
            and (
                (_indent(nxt) == level and not ITEM.match(nxt))
                or (_indent(nxt) > level and bool(hanging))
            )
        )
        if continues:
            lines[i + 1] = " " * _indent(nxt) + tail + " " + nxt.strip()
        else:
            marker = LIST_ITEM.match(line)
            deeper = len(marker.group(0)) - start if marker else (4 if hanging else 0)
            lines.insert(i + 1, " " * (level + deeper) + tail)
        i += 1
    return "\n".join(lines)


def convert_docstring(
    text: str, index: PublicIndex, context: Context, first_column: int = 0, indent: int = 0
) -> str:
    """The whole rewrite of one docstring's source text (between its quotes)."""
    converted = convert_roles(convert_literal_blocks(text, indent), index, context)
    return converted if converted == text else rewrap(converted, first_column, indent)


# --- finding docstrings in source ----------------------------------------------------------


@dataclass
class Docstring:
    start: int  # character offsets of the whole literal in the source
    end: int
    qualname: list[str]  # enclosing classes


def _docstrings(tree: ast.Module) -> Iterator[tuple[ast.Constant, list[str]]]:
    """Every bare string statement (docstrings, attribute docstrings) with its classes."""

    def visit(body: list[ast.stmt], classes: list[str]) -> Iterator[tuple[ast.Constant, list[str]]]:
        for stmt in body:
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                yield stmt.value, classes
            elif isinstance(stmt, ast.ClassDef):
                yield from visit(stmt.body, [*classes, stmt.name])
            elif isinstance(
                stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.If, ast.Try, ast.With)
            ):
                yield from visit(stmt.body, classes)

    yield from visit(tree.body, [])


def _offset(line_starts: list[int], lines: list[str], lineno: int, col: int) -> int:
    """Character offset of an ast (1-based line, UTF-8 byte column) position."""
    line = lines[lineno - 1]
    return line_starts[lineno - 1] + len(line.encode()[:col].decode())


def module_name(path: Path) -> str:
    parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def context_for(name: str, classes: list[str], index: PublicIndex) -> Context:
    module = None
    with contextlib.suppress(Exception):
        module = importlib.import_module(name)
    package = name
    while package and package not in index.packages:
        package = package.rpartition(".")[0]
    cls: Any = module
    for class_name in classes:
        cls = getattr(cls, class_name, None) if cls is not None else None
    return Context(module, package or None, cls if classes and inspect.isclass(cls) else None)


def convert_source(source: str, name: str, index: PublicIndex) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits = []
    for node, classes in _docstrings(tree):
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = _offset(starts, lines, node.lineno, node.col_offset)
        end = _offset(starts, lines, node.end_lineno, node.end_col_offset)
        literal = source[start:end]
        opening = re.match(r"^([rRuU]?)(\"\"\"|'''|\"|')", literal)
        if opening is None:
            continue
        quote = opening.group(2)
        body = literal[opening.end() : len(literal) - len(quote)]
        if not literal.endswith(quote) or quote in body:
            continue  # implicitly concatenated literals: left alone
        column = len(source[: start + opening.end()].rsplit("\n", 1)[-1])
        context = context_for(name, classes, index)
        new = convert_docstring(body, index, context, column, node.col_offset)
        if new != body:
            edits.append((start + opening.end(), end - len(quote), new))
    for begin, finish, new in sorted(edits, reverse=True):
        source = source[:begin] + new + source[finish:]
    ast.parse(source)  # a rewrite never breaks the module
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "awskit"])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    index = PublicIndex(ROOT / "docs" / "reference.md")
    files = sorted(
        file for path in args.paths for file in ([path] if path.is_file() else path.rglob("*.py"))
    )
    changed = []
    for file in files:
        source = file.read_text()
        new = convert_source(source, module_name(file), index)
        if new != source:
            changed.append(file)
            if not args.check:
                file.write_text(new)
    for file in changed:
        print(("would rewrite " if args.check else "rewrote ") + str(file.relative_to(ROOT)))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
