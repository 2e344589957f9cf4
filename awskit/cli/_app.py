"""The ``awskit`` app: global options, output, progress bars and the one error handler.

Every command is declared with `command`, which adds the global options
(``--json``, ``--quiet``, ``--debug``, and ``--endpoint-url``, ``--profile``, ``--region``
where the command talks to AWS) to its own, so they work after the command as well as
before it (``awskit --json sqs queues`` and ``awskit sqs queues --json``). Errors become
one line on stderr: exit 1 for AWS and IO failures, 2 for bad arguments (ours or AWS's
validation errors); ``--debug`` shows the traceback instead.

Help is drawn by typer, whose parameters show Python annotations (``<bool>``,
``<list[str]>``, ``{queue}``); `AwskitCommand` and `AwskitGroup` give their
parameters the plain shell forms instead (a flag alone, ``--delay INTEGER``, ``QUEUE``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import inspect
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from .._errors import plain_message, scrub
from ._parse import to_jsonable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    import awskit

__all__ = [
    "GLOBAL_PANEL",
    "AwskitCommand",
    "AwskitGroup",
    "Options",
    "app",
    "command",
    "group",
]

F = TypeVar("F", bound=Callable[..., Any])

GLOBAL_PANEL = "Global options"


@dataclasses.dataclass
class Options:
    """The global options of one invocation (root callback, then the command's own)."""

    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    json: bool = False
    quiet: bool = False
    debug: bool = False
    _session: awskit.Session | None = None

    def merge(self, **given: Any) -> None:
        for name, value in given.items():
            # A flag given to the command adds to the root's; a value replaces it.
            if value not in (None, False):
                setattr(self, name, value)

    # -- connecting ------------------------------------------------------------------------

    def session(self) -> awskit.Session:
        """The session every command of this run uses (created on first need)."""
        if self._session is None:
            import awskit

            self._session = awskit.connect(
                profile=self.profile, region=self.region, endpoint_url=self.endpoint_url
            )
        return self._session

    # -- output ----------------------------------------------------------------------------

    @functools.cached_property
    def out(self) -> Console:
        from rich.console import Console

        class Stdout(Console):
            def on_broken_pipe(self) -> None:
                # rich would exit 1 on its own; the command decides (receive --delete
                # must know its output was not read before it deletes anything).
                self.quiet = True
                raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

        return Stdout(highlight=False, soft_wrap=False)

    @functools.cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False)

    def say(self, message: str) -> None:
        """An informational line for people: stderr, never with --json or --quiet."""
        if not (self.quiet or self.json):
            self.err.print(message, markup=False)

    def emit(
        self,
        data: Any,
        *,
        columns: Sequence[str] = (),
        rows: Sequence[Sequence[Any]] = (),
        title: str | None = None,
        text: str | None = None,
        record: Mapping[str, Any] | None = None,
    ) -> None:
        """Print a result: ``data`` as JSON with --json, else a table (or ``text``).

        ``record`` prints one result as a two-column table of fields and values.
        """
        if self.json:
            sys.stdout.write(json.dumps(to_jsonable(data), indent=2, sort_keys=False) + "\n")
            sys.stdout.flush()
            return
        if text is not None:
            self.out.print(text, markup=False)
            return
        from rich.table import Table
        from rich.text import Text

        # Text, not str: a body or an item holding "[bold]" is data, not rich markup.
        table = Table(
            title=None if title is None else Text(title), title_justify="left", show_lines=False
        )
        if record is not None:
            columns, rows = ("Field", "Value"), list(record.items())
        for n, name in enumerate(columns):
            # The first column names the row (a key, a queue, an alarm): never folded.
            table.add_column(name, overflow="fold", no_wrap=n == 0)
        for row in rows:
            table.add_row(*(Text(_cell(cell)) for cell in row))
        self.out.print(table)

    # -- progress --------------------------------------------------------------------------

    @property
    def show_progress(self) -> bool:
        return not (self.quiet or self.json) and sys.stdout.isatty() and sys.stderr.isatty()

    @contextlib.contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
        """A ``progress(done, total)`` callback drawing a rich bar on stderr (or nothing)."""
        if not self.show_progress:
            yield _ignore
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        bar: Progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=False,
        )
        with bar:
            task = bar.add_task(description, total=total)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield update

    @contextlib.contextmanager
    def counter(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """A bar counting items (``advance(n)``), for imports and exports."""
        if not self.show_progress:
            yield _ignore_one
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=self.err
        ) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task, n)


def _cell(value: Any) -> str:
    import datetime as dt
    import enum

    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _ignore(done: int, total: int) -> None:
    return None


def _ignore_one(n: int) -> None:
    return None


# -- errors ------------------------------------------------------------------------------

#: AWS error codes that mean "this argument is wrong": the user's to fix, so exit 2 as for
#: our own argument checks. ParamValidationError is botocore's check before sending.
VALIDATION_CODES = frozenset(
    {
        "ValidationException",
        "ValidationError",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidParameterCombination",
        "InvalidParameter",
        "InvalidParameterException",
        "InvalidArgument",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "InvalidBucketName",
        "KeyTooLongError",
        "MissingParameter",
        "ParamValidationError",
        "AWS.SimpleQueueService.InvalidParameterValue",
    }
)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _scrub(text: str) -> str:
    """``text`` without credentials: awskit's scrubbing, and this environment's secrets
    (an error can come before any client has taught the scrubber the session's own)."""
    text = scrub(text)
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        secret = os.environ.get(name)
        if secret and len(secret) >= 8:
            text = text.replace(secret, "[secret]")
    return text


def _http_status(exc: BaseException) -> int | None:
    # translate() keeps botocore's ClientError as __cause__, with the response.
    response = getattr(exc.__cause__, "response", None)
    if isinstance(response, Mapping):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int):
            return status
    return None


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` as the one error line on stderr; return the Exit to raise."""
    typer.echo(f"awskit: error: {_scrub(_one_line(message))}", err=True)
    return typer.Exit(code)


def describe_error(exc: BaseException) -> tuple[str, int]:
    """The one line and the exit code for an error leaving a command."""
    import awskit

    if isinstance(exc, awskit.InvalidInput):
        return str(exc), 2
    if isinstance(exc, awskit.AwskitError):
        text = str(exc)
        message = str(exc.message)
        if message and message in text:
            text = text.replace(message, plain_message(message, _http_status(exc)), 1)
        else:
            text = plain_message(text, _http_status(exc))
        code = 2 if exc.code in VALIDATION_CODES else 1
        return f"{type(exc).__name__}: {text}", code
    if isinstance(exc, OSError):
        where = f" {exc.filename!r}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", 1
    return f"{type(exc).__name__}: {exc}", 1


def _report(exc: BaseException) -> typer.Exit:
    message, code = describe_error(exc)
    return fail(message, code)


# -- help in shell words -------------------------------------------------------------------

# typer's names for annotations, as the words shells' help has always used.
_TYPE_WORDS = {
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "str": "TEXT",
    "Path": "PATH",
    "datetime": "DATETIME",
}


class _Option(TyperOption):
    """An option shown as ``--name WORD`` (a flag as ``--name`` alone)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        shown = str(self.display_type(ctx)).strip("<>")
        listed = re.fullmatch(r"list\[(.*)\]", shown)
        if listed:
            shown = listed.group(1)
        return _TYPE_WORDS.get(shown, shown if "|" in shown else "TEXT")


class _Argument(TyperArgument):
    """An argument shown by its name in capitals (``QUEUE``, ``[FILTER]...``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = self.display_name_raw
        if self.nargs != 1:
            name += "..."
        return [name if self.required else f"[{name}]"]


def _plain(param: Any) -> None:
    # typer builds its parameter objects itself, with no hook for a subclass: the class of
    # each is swapped once, when its command is made, for one that overrides the display.
    if isinstance(param, TyperArgument) and not isinstance(param, _Argument):
        if param.metavar is None and param.name:
            param.metavar = param.name.upper()
        param.__class__ = _Argument
    elif isinstance(param, TyperOption) and not isinstance(param, _Option):
        param.__class__ = _Option


def reflow(text: str | None) -> str | None:
    """Docstring paragraphs as single lines, for the terminal to wrap.

    typer's rich help keeps every line break of a docstring, so a docstring wrapped at 80
    columns would show ragged lines. Lines that start a list item are kept apart.
    """
    if not text:
        return text
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and line and not line.startswith((" ", "-", "*", "\b")):
                lines[-1] = f"{lines[-1]} {line.strip()}"
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


class AwskitCommand(TyperCommand):
    """A command whose help shows shell words, not Python annotations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help)
        for param in self.params:
            _plain(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _plain(option)
        return option


class HelpGroup(TyperGroup):
    """A command group whose help shows shell words, not Python annotations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _plain(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _plain(option)
        return option


class AwskitGroup(HelpGroup):
    """The root group: click's usage errors become one line and exit 2 too."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        extra["standalone_mode"] = False
        try:
            code = super().main(args, prog_name, **extra)
        except typer.Abort:
            typer.echo("awskit: aborted", err=True)
            sys.exit(1)
        except typer.TyperException as exc:
            # click's UsageError family (exit code 2) and other ClickExceptions, vendored
            # by typer: matched by what they carry rather than by their private classes.
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                # typer's rich help printed itself when the error was made.
                sys.exit(2)
            code = getattr(exc, "exit_code", 1)
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None and code == 2 else ""
            typer.echo(f"awskit: error: {_one_line(message)}{hint}", err=True)
            sys.exit(code)
        sys.exit(code if isinstance(code, int) else 0)


# -- declaring commands --------------------------------------------------------------------

EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="Send requests to this endpoint (default: $AWS_ENDPOINT_URL, else AWS).",
        rich_help_panel=GLOBAL_PANEL,
        show_default=False,
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", help="AWS profile to use.", rich_help_panel=GLOBAL_PANEL, show_default=False
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region", help="AWS region to use.", rich_help_panel=GLOBAL_PANEL, show_default=False
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Machine-readable JSON on stdout, nothing else there.",
        rich_help_panel=GLOBAL_PANEL,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress bars or status lines.",
        rich_help_panel=GLOBAL_PANEL,
    ),
]
DebugOpt = Annotated[
    bool,
    typer.Option("--debug", help="Show tracebacks and debug logs.", rich_help_panel=GLOBAL_PANEL),
]

#: Options every command takes, and those only commands that talk to AWS take.
_OUTPUT: dict[str, Any] = {
    "json": (JsonOpt, False),
    "quiet": (QuietOpt, False),
    "debug": (DebugOpt, False),
}
_CONNECTION: dict[str, Any] = {
    "endpoint_url": (EndpointOpt, None),
    "profile": (ProfileOpt, None),
    "region": (RegionOpt, None),
}

app = typer.Typer(
    cls=AwskitGroup,
    name="awskit",
    help="awskit: typed AWS from the shell. SQS, DynamoDB, CloudWatch, EBS and S3.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _options(ctx: typer.Context) -> Options:
    root = ctx.find_root()
    if not isinstance(root.obj, Options):
        root.obj = Options()
    return root.obj


def _version(value: bool) -> None:
    if value:
        from awskit import __version__

        typer.echo(f"awskit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print awskit's version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    _options(ctx).merge(
        endpoint_url=endpoint_url,
        profile=profile,
        region=region,
        json=json,
        quiet=quiet,
        debug=debug,
    )


def group(name: str, help: str) -> typer.Typer:
    """A command group under ``awskit``."""
    sub = typer.Typer(name=name, help=help, no_args_is_help=True, cls=HelpGroup)
    app.add_typer(sub, name=name)
    return sub


def command(parent: typer.Typer, name: str | None = None, *, aws: bool = True) -> Callable[[F], F]:
    """Declare a command whose first parameter is the run's `Options`.

    The wrapper adds the global options to the command's signature (so typer offers them),
    merges them into the run's options, and turns errors into one line and an exit code.
    ``aws=False`` leaves out the connection options (``--endpoint-url``, ``--profile``,
    ``--region``) for a command that sends no request to AWS.
    """
    globals_ = {**(_CONNECTION if aws else {}), **_OUTPUT}

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        own = list(signature.parameters.values())[1:]

        @functools.wraps(func)
        def wrapper(ctx: typer.Context, **kwargs: Any) -> Any:
            opts = _options(ctx)
            opts.merge(**{name: kwargs.pop(name) for name in globals_})
            return run(opts, lambda: func(opts, **kwargs))

        params = [
            inspect.Parameter(
                "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
            )
        ]
        params += own + [
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
            for key, (ann, default) in globals_.items()
        ]
        wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        parent.command(name, cls=AwskitCommand)(wrapper)
        return func

    return decorate


def _debugging(body: Callable[[], Any]) -> Any:
    """Run ``body`` with awskit's debug log (and botocore's info log) on stderr.

    botocore's own debug log dumps request headers, the access key id among them, so it
    stays at INFO: no credential reaches the terminal even with --debug.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    levels = {name: logging.getLogger(name).level for name in ("awskit", "botocore")}
    logging.getLogger().addHandler(handler)
    logging.getLogger("awskit").setLevel(logging.DEBUG)
    logging.getLogger("botocore").setLevel(logging.INFO)
    try:
        return body()
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def run(opts: Options, body: Callable[[], Any]) -> Any:
    """Run a command body under the one error policy."""
    if opts.debug:
        return _debugging(body)
    try:
        return body()
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as cat does.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141) from None
    except Exception as exc:
        raise _report(exc) from None


def confirm(opts: Options, yes: bool, question: str, refusal: str) -> None:
    """Go on only with ``--yes`` or a "y" typed at a terminal.

    Without a terminal on stdin nobody can answer: the command refuses (exit 2) rather
    than destroy anything on a guess.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail(f"{refusal}: give --yes to confirm (stdin is not a terminal to ask)", 2)
    if not typer.confirm(question, default=False, err=True):
        raise fail("not confirmed: nothing was deleted", 1)
