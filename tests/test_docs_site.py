"""The built documentation site reads as Markdown rendered it, and every internal link lands.

mkdocstrings shows a Sphinx role (":class:`Queue`") or a reST ``Example::`` as literal text,
and a name defined in a private module under its private path (``awskit._errors``). The
site is built once per session with the project's mkdocs, ``--strict`` (so a broken
autorefs cross-reference already fails the build), into a temporary directory; every
page's visible text (and link tooltips) is then checked, and every ``href`` that stays
inside the site must name a page that exists and, with a ``#fragment``, an id on it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

REST_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj|const):\s*`")
REST_EXAMPLE = re.compile(r"\bExamples?::")
DOTTED = re.compile(r"\bawskit(?:\.\w+)+")


def is_private_path(path: str) -> bool:
    """``awskit._errors.InvalidInput`` is; ``awskit.InvalidInput`` is not. A type
    variable's tooltip (``Generic[T]``: ``awskit._paging.T``) only says where it is
    declared, and a one-letter name is a type variable, nothing users import."""
    parts = path.split(".")
    return (
        parts[1].startswith("_")
        and not parts[1].startswith("__")
        and not (re.fullmatch(r"[A-Z]", parts[-1]))
    )


@dataclass
class Page:
    """What the checks need of one HTML page."""

    text: str = ""
    ids: set[str] = field(default_factory=set)
    hrefs: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.SKIP:
            self._skipping += 1
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.page.ids.add(str(values[key]))
        if tag in ("a", "link") and values.get("href"):
            self.page.hrefs.append(str(values["href"]))
        if values.get("title"):
            self._chunks.append(f" {values['title']} ")  # a tooltip is read too

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._chunks.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = "".join(self._chunks)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def text_problems(text: str) -> list[str]:
    """Literal reST and private paths in a page's visible text, each with its context."""
    problems = []
    for pattern, what in (
        (REST_ROLE, "reST role"),
        (REST_EXAMPLE, "reST Example::"),
        (DOTTED, "private path"),
    ):
        for match in pattern.finditer(text):
            if pattern is DOTTED and not is_private_path(match.group(0)):
                continue
            context = " ".join(text[max(0, match.start() - 40) : match.end() + 40].split())
            problems.append(f"{what}: ...{context}...")
    return problems


def link_problems(site: Path, pages: dict[str, Page]) -> list[str]:
    """Internal hrefs whose page or ``#fragment`` does not exist in the built site."""
    problems = []
    for name, page in pages.items():
        base = "https://site.invalid/" + name
        for href in page.hrefs:
            parts = urlsplit(href)
            if (parts.scheme and parts.scheme not in ("http", "https")) or parts.netloc:
                continue  # mailto:, another host
            target = urlsplit(urljoin(base, href))
            if target.netloc != "site.invalid":
                continue
            path = unquote(target.path.lstrip("/"))
            if path == "" or path.endswith("/"):
                path += "index.html"
            if not (site / path).is_file():
                problems.append(f"{name}: {href} -> no file {path}")
                continue
            fragment = unquote(target.fragment)
            if fragment and path.endswith(".html"):
                if path not in pages:
                    pages[path] = read_page((site / path).read_text(encoding="utf-8"))
                if fragment not in pages[path].ids:
                    problems.append(f"{name}: {href} -> no id {fragment!r} in {path}")
    return problems


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    # mkdocs reads mkdocs.yml, and mkdocstrings the package, from the repository root.
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr}{build.stdout}"
    return out


@pytest.fixture(scope="session")
def pages(site: Path) -> dict[str, Page]:
    return {
        path.relative_to(site).as_posix(): read_page(path.read_text(encoding="utf-8"))
        for path in sorted(site.rglob("*.html"))
    }


def test_site_has_the_pages_of_the_nav(pages: dict[str, Page]) -> None:
    for expected in ["index.html", "reference/index.html", "sqs/index.html", "cli/index.html"]:
        assert expected in pages
    # The reference really holds rendered docstrings, at their public paths.
    reference = pages["reference/index.html"]
    for anchor in ["awskit.connect", "awskit.InvalidInput", "awskit.sqs.Queue.send"]:
        assert anchor in reference.ids


def test_no_literal_rest_or_private_path_in_rendered_text(pages: dict[str, Page]) -> None:
    problems = [f"{name}: {p}" for name, page in pages.items() for p in text_problems(page.text)]
    assert not problems, "\n".join(problems)


def test_every_internal_link_resolves(site: Path, pages: dict[str, Page]) -> None:
    problems = link_problems(site, dict(pages))
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    # The same checks, on a page that has each fault once.
    html = (
        '<html><body><h2 id="here">Here</h2><p>See :class:`Queue` and '
        "<code>awskit._errors.InvalidInput</code>.</p><pre>Example::</pre>"
        '<a href="#here">ok</a> <a href="#gone">bad fragment</a>'
        '<a href="../missing/">bad page</a> <a href="https://example.com/x">external</a>'
        '<a title="awskit._session.Session" href="./">tooltip</a>'
        '<span title="awskit._paging.T">T</span> awskit.sqs.Queue awskit.__version__'
        "<script>var x = ':func:`ignored`';</script></body></html>"
    )
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(html)
    page = read_page(html)
    found = text_problems(page.text)
    assert [p.split(": ", 1)[0] for p in found] == [
        "reST role",
        "reST Example::",
        "private path",
        "private path",
    ]
    links = link_problems(tmp_path, {"page/index.html": page})
    assert len(links) == 2
    assert "no id 'gone'" in links[0] and "no file missing/index.html" in links[1]
