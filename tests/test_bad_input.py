"""Bad input, one fixture per case: each is a clear DocumentError, and nothing half-loads.

The fixtures are in ``tests/fixtures/bad/`` (stored byte-exact: see
``.gitattributes``); anything large or hostile is generated here instead. Each
refused case checks the error's file, line and field, that ``.problems`` holds
exactly the problems expected (no cascade), that :func:`immunokb.validate`
reports the same, and that the shared bundled knowledge base is untouched.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import time
import tracemalloc
import warnings
from pathlib import Path

import pytest

import immunokb
from immunokb._load import MAX_DOCUMENT_BYTES

BAD = Path(__file__).parent / "fixtures" / "bad"
NCI = "nci-cancer-treatment-vaccines"


def _where(problem: immunokb.DocumentError) -> tuple[str, int | None, str | None, str]:
    return (problem.path, problem.line, problem.field, problem.reason)


def refused(
    *paths: str | os.PathLike[str], bundled: bool = True, count: int | None = 1
) -> immunokb.DocumentError:
    """Load ``paths``, expecting a DocumentError; check that nothing was half-loaded.

    ``count`` is how many problems ``.problems`` must hold (None: any number).
    """
    shared = immunokb.load()
    before = (shared.fingerprint, repr(shared), len(shared.sources), len(shared.entities))
    report = immunokb.validate(list(paths), bundled=bundled)
    returned: list[immunokb.KnowledgeBase] = []
    with pytest.raises(immunokb.DocumentError) as info:
        returned.append(immunokb.load(list(paths), bundled=bundled))
    assert not returned  # no knowledge base comes back
    error = info.value
    assert type(error) is immunokb.DocumentError
    assert error.__cause__ is None  # no raw PyYAML or pydantic exception behind it
    # The raised error is the first problem; .problems holds them all, and
    # validate() reports the very same ones without raising.
    assert _where(error) == _where(error.problems[0])
    assert [_where(p) for p in error.problems] == [_where(p) for p in report.errors]
    assert not report.ok
    if count is not None:
        assert len(error.problems) == count, [str(p) for p in error.problems]
    # The shared bundled knowledge base is the same object, unchanged.
    assert immunokb.load() is shared
    assert (shared.fingerprint, repr(shared), len(shared.sources), len(shared.entities)) == before
    return error


def loads(*paths: str | os.PathLike[str], bundled: bool = True) -> immunokb.KnowledgeBase:
    """Load ``paths``, expecting success without any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return immunokb.load(list(paths), bundled=bundled)


# ----------------------------------------------------------------- one file, one problem


@pytest.mark.parametrize(
    ("name", "line", "field", "reason"),
    [
        pytest.param(
            "malformed-yaml.md",
            9,
            None,
            "malformed YAML: …",  # then the YAML parser's own words, which vary
            id="malformed-yaml",
        ),
        pytest.param(
            "no-frontmatter.md",
            1,
            None,
            "no YAML frontmatter: the document must start with a '---' line",
            id="frontmatter-missing",
        ),
        pytest.param("empty.md", None, None, "document is empty", id="empty-file"),
        pytest.param(
            "latin1.md",
            7,
            None,
            "not UTF-8: byte 0xf3 at offset 137 cannot be decoded",
            id="not-utf8",
        ),
        pytest.param(
            "missing-name.md", 2, "name", "required field is missing", id="entity-missing-name"
        ),
        pytest.param(
            "vaccine-without-purpose.md",
            2,  # like any missing field: where the frontmatter starts (it had no line before)
            "purpose",
            "required field is missing",
            id="vaccine-missing-purpose",
        ),
        pytest.param(
            "missing-title.md",
            2,
            "title",
            "required field is missing: give `title:`, or begin the body with a '# ' heading",
            id="source-missing-title",
        ),
        pytest.param(
            "boolean-curated.md",
            6,
            "name.curated",
            "expected text, got a boolean (YAML read an unquoted yes/no/true/false as a "
            "boolean: quote the value)",
            id="boolean-for-text",
        ),
        pytest.param(
            "list-for-scalar.md",
            3,
            "source",
            "expected text, got a list",
            id="list-for-scalar",
        ),
        pytest.param(
            "unknown-route.md",
            8,
            "routes[0].value",
            "'intravenus' is not one of: intravenous, oral, topical, intravesical, intratumoral, "
            "subcutaneous, intradermal, intramuscular; did you mean 'intravenous'?",
            id="unknown-enum-route",
        ),
        pytest.param(
            "unknown-audience.md",
            3,
            "audienceLevel",
            "'kids' is not one of: patient, general, technical, professional, unknown",
            id="unknown-enum-audience",
        ),
        pytest.param(
            "invalid-date.md",
            3,
            "lastReviewed",
            "invalid date '2025-02-30': February 2025 has 28 days",
            id="invalid-date",
        ),
        pytest.param(
            "invalid-url.md",
            3,
            "url",
            "'www.example.org/zzq-leaflet' is not a web address beginning with http:// or https://",
            id="invalid-url",
        ),
        pytest.param(
            "missing-source.md",
            10,
            "status.cite[0].source",
            "no source with id 'zzq-trial-registry'",
            id="citation-to-missing-source",
        ),
        pytest.param(
            "dangling-side-effect.md",
            8,
            "side_effects[0].side_effect",
            "dangling reference: no entity 'hedache'; did you mean 'headache'?",
            id="dangling-reference",
        ),
    ],
)
def test_one_bad_document(name: str, line: int | None, field: str | None, reason: str) -> None:
    path = BAD / name
    error = refused(path)
    assert error.path == str(path)
    assert error.line == line
    assert error.field == field
    # The reason is immunokb's own, whole; "…" ends the part that is ours.
    ours = reason.removesuffix("…")
    assert error.reason == reason if ours == reason else error.reason.startswith(ours)
    # The message names all three, in the order file:line: field: reason.
    where = str(path) if line is None else f"{path}:{line}"
    assert str(error).startswith(where + (f": {field}: " if field else ": ") + ours)


def test_suggestion_for_a_misspelt_route() -> None:
    error = refused(BAD / "unknown-route.md")
    assert error.reason.endswith("; did you mean 'intravenous'?")


def test_whitespace_only_document_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_bytes(b" \n\t\r\n\n")
    assert refused(path, bundled=False).reason == "document is empty"


def test_unquoted_date_where_text_belongs_is_kept_as_written() -> None:
    # Dates are read as text, quoted or not (docs/documents.md): an unquoted date
    # in a text field is the text as written, never a date object or an error.
    source = loads(BAD / "unquoted-date-as-text.md", bundled=False).source("unquoted-date-as-text")
    assert source.version == "2024-05-01"
    assert source.citation == "2024-05-01 10:30:00"


def test_a_number_where_text_belongs(tmp_path: Path) -> None:
    path = tmp_path / "zzq-version.md"
    path.write_text("---\ntitle: Zzq leaflet\nversion: 1.0\n---\nBody.\n", encoding="utf-8")
    error = refused(path, bundled=False)
    assert (error.line, error.field) == (3, "version")
    assert error.reason == (
        "expected text, got a number (YAML read an unquoted number: quote the value, as in '1.0')"
    )


# ----------------------------------------------------------------- across documents


def test_duplicate_id_across_files() -> None:
    folder = BAD / "duplicate-id"
    error = refused(folder)
    assert error.path == str(folder / "zzq-tiredness-b.md")
    assert (error.line, error.field) == (3, "id")
    assert error.reason == (
        f"duplicate id 'zzq-tiredness': also defined in {folder / 'zzq-tiredness-a.md'}"
    )


def test_alias_claimed_twice() -> None:
    folder = BAD / "alias-twice"
    error = refused(folder)
    assert error.path == str(folder / "zzq-sleepy.md")
    assert (error.line, error.field) == (10, "aliases[1].value")
    assert error.reason == (
        f"'zzq-sleepiness' is already a name of 'zzq-drowsy' ({folder / 'zzq-drowsy.md'}); "
        "a name or alias may belong to one entity only"
    )


def test_cycle_in_broader_links() -> None:
    folder = BAD / "cycle"
    error = refused(folder)
    assert error.path == str(folder / "zzq-loop-c.md")
    assert (error.line, error.field) == (8, "broader[0].value")
    assert error.reason == (
        "broader links form a cycle: zzq-loop-a -> zzq-loop-b -> zzq-loop-c -> zzq-loop-a"
    )


def test_quote_not_found_in_its_source() -> None:
    folder = BAD / "quote-not-found"
    error = refused(folder, bundled=False)
    assert error.path == str(folder / "zzq-itching.md")
    assert (error.line, error.field) == (8, "name.cite[0].quote")
    assert error.reason == (
        "quote not found in source 'zzq-leaflet'; it matches up to "
        "'Zzqmab can cause itching in ' and differs from there"
    )


def test_unreadable_documents_cause_no_cascade() -> None:
    """A source or entity that does not parse is reported once, not again by its users.

    Before the fix, the entity citing the unparsable source got two 'no source
    with id' errors and its broader link to the unparsable entity a 'dangling
    reference'.
    """
    folder = BAD / "unreadable-neighbours"
    error = refused(folder, bundled=False, count=2)
    assert [(Path(p.path).name, p.line) for p in error.problems] == [
        ("zzq-hiccup-leaflet.md", 3),
        ("zzq-spasm-document.md", 6),
    ]
    assert all(p.reason.startswith("malformed YAML: ") for p in error.problems)


def test_an_oversize_source_causes_no_cascade(tmp_path: Path) -> None:
    """A source refused before reading (too big) is not reported again as missing."""
    (tmp_path / "zzq-huge.md").write_bytes(b"---\ntitle: huge\n---\n" + b"x" * MAX_DOCUMENT_BYTES)
    (tmp_path / "zzq-huge-effect.md").write_text(
        "---\nkind: side_effect\nid: zzq-huge-effect\nname:\n  value: zzq huge\n"
        '  curated: "An invented test entity."\ncite:\n  - source: zzq-huge\n'
        '    quote: "xxx"\n---\n',
        encoding="utf-8",
    )
    error = refused(tmp_path, bundled=False)
    assert error.path == str(tmp_path / "zzq-huge.md")
    assert "the limit is" in error.reason


# ----------------------------------------------------------------- hostile YAML


def test_python_tags_construct_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(("os.system", a)) or 0)
    real_popen_init = subprocess.Popen.__init__

    def popen_init(self: subprocess.Popen[bytes], *args: object, **kwargs: object) -> None:
        calls.append(("Popen", args))
        real_popen_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess.Popen, "__init__", popen_init)
    monkeypatch.chdir(tmp_path)  # where the tags' relative file names would land
    folder = BAD / "python-tags"
    error = refused(folder, count=4)
    by_file = {Path(p.path).name: p for p in error.problems}
    assert sorted(by_file) == ["module.md", "open-file.md", "os-system.md", "popen.md"]
    assert [by_file[name].line for name in sorted(by_file)] == [3, 2, 3, 3]
    for problem in error.problems:
        assert problem.reason.startswith("YAML tag !!python/")
        assert problem.reason.endswith(
            " not allowed: a value is text, a number, true/false, null, a list or a mapping"
        )
    assert calls == []
    assert list(tmp_path.iterdir()) == []  # no file was created


def _timed_refusal(path: Path) -> tuple[immunokb.DocumentError, float, int]:
    """The refusal, its wall time and the peak memory Python allocated for it."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        error = refused(path, bundled=False)
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, elapsed, peak


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    # A billion laughs: 9**10 values once expanded.
    lines = ["---", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "zzq-bomb.md"
    path.write_text("\n".join([*lines, "title: bomb", "---", "Body.", ""]), encoding="utf-8")
    error, elapsed, peak = _timed_refusal(path)
    assert error.reason == ("frontmatter expands to more than 20000 values (YAML alias expansion?)")
    assert error.line is not None
    assert elapsed < 10  # generous sanity bounds, not benchmarks
    assert peak < 64 * 1024 * 1024


@pytest.mark.parametrize(
    "frontmatter",
    [
        pytest.param("x: " + "[" * 100_000, id="100k-open-brackets"),
        pytest.param("x: " + "[" * 100_000 + "]" * 100_000, id="100k-balanced-brackets"),
        pytest.param("x: " + "{a: " * 100_000, id="100k-open-braces"),
        pytest.param("".join("  " * i + f"k{i}:\n" for i in range(60)), id="60-block-levels"),
        pytest.param(
            "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 41)),
            id="deep-through-aliases",
        ),
        pytest.param("x: &a [*a]", id="recursive-sequence"),
        pytest.param("x: &m {k: *m}", id="recursive-mapping"),
    ],
)
def test_deep_nesting_is_refused_in_bounded_time_and_memory(
    tmp_path: Path, frontmatter: str
) -> None:
    path = tmp_path / "zzq-deep.md"
    path.write_text(f"---\n{frontmatter}\n---\nBody.\n", encoding="utf-8")
    error, elapsed, peak = _timed_refusal(path)
    assert error.reason == "frontmatter is nested deeper than 32 levels"
    assert error.path == str(path)
    assert error.line is not None
    assert elapsed < 10
    assert peak < 64 * 1024 * 1024


def test_nesting_up_to_the_limit_is_fine(tmp_path: Path) -> None:
    # 31 nested lists under a top-level key: 32 levels with the frontmatter mapping.
    path = tmp_path / "zzq-nested.md"
    path.write_text(
        "---\ntitle: Zzq nested\nzzqNested: " + "[" * 31 + "]" * 31 + "\n---\nBody.\n",
        encoding="utf-8",
    )
    with pytest.warns(immunokb.DocumentWarning, match="zzqNested: unknown field"):
        kb = immunokb.load([path], bundled=False)
    value = kb.source("zzq-nested").extra["zzqNested"]
    depth = 0
    while value:
        value = value[0]
        depth += 1
    assert depth == 30  # the innermost list is empty


# ----------------------------------------------------------------- size limit


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.write(b"---\ntitle: big\n---\n")
        handle.truncate(size)
    return path


def test_oversize_file_is_refused_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import immunokb._load as load_module

    big = _sparse(tmp_path / "zzq-big.md", MAX_DOCUMENT_BYTES + 1)
    opened: list[str] = []
    real_open = open

    def spy(file: object, *args: object, **kwargs: object) -> object:
        opened.append(os.fspath(file))  # type: ignore[arg-type]
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(load_module, "open", spy, raising=False)
    for given in (big, tmp_path):  # named directly, and found in a directory
        error = refused(given, bundled=False)
        assert error.path == str(big)
        assert error.line is None
        assert error.reason == (
            f"document is {MAX_DOCUMENT_BYTES + 1} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes"
        )
    assert str(big) not in opened


def test_document_of_exactly_the_limit_loads(tmp_path: Path) -> None:
    head = b"---\ntitle: Zzq limit\n---\n"
    path = tmp_path / "zzq-limit.md"
    path.write_bytes(head + b"word " * ((MAX_DOCUMENT_BYTES - len(head)) // 5))
    with path.open("ab") as handle:
        handle.write(b"." * (MAX_DOCUMENT_BYTES - path.stat().st_size))
    assert path.stat().st_size == MAX_DOCUMENT_BYTES
    assert loads(path, bundled=False).source("zzq-limit").title == "Zzq limit"


# ----------------------------------------------------------------- files and folders


def _symlink(link: Path, target: Path | str) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError) as exc:  # pragma: no cover - e.g. Windows
        pytest.skip(f"cannot create symbolic links here: {exc}")


def _source(path: Path, title: str = "Zzq linked leaflet") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\n---\nAn invented test document.\n", encoding="utf-8")
    return path


def test_symlink_leading_outside_the_directory_is_skipped(tmp_path: Path) -> None:
    outside = _source(tmp_path / "outside" / "zzq-secret.md")
    corpus = tmp_path / "corpus"
    _source(corpus / "zzq-own.md", "Zzq own leaflet")
    _symlink(corpus / "zzq-secret.md", outside)
    _symlink(corpus / "elsewhere", outside.parent)
    report = immunokb.validate([corpus], bundled=False)
    assert report.ok
    assert report.documents == 1
    assert sorted((w.path, w.reason) for w in report.warnings) == [
        (
            str(corpus / "elsewhere"),
            f"symbolic link to {outside.parent.resolve()} leads outside "
            f"{corpus.resolve()}; skipped",
        ),
        (
            str(corpus / "zzq-secret.md"),
            f"symbolic link to {outside.resolve()} leads outside {corpus.resolve()}; skipped",
        ),
    ]
    with pytest.warns(immunokb.DocumentWarning, match="leads outside") as caught:
        kb = immunokb.load([corpus], bundled=False)
    assert len(caught) == 1  # the first warning, counting the other
    assert "(and 1 more warning; see kb.warnings)" in str(caught[0].message)
    assert [s.id for s in kb.sources] == ["zzq-own"]
    assert len(kb.warnings) == 2


def test_symlink_within_the_directory_is_followed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    # The walk skips folders starting with '.', so the document is only reachable
    # through the links.
    hidden = _source(corpus / ".store" / "zzq-stored.md")
    _symlink(corpus / "zzq-stored.md", hidden)
    _symlink(corpus / "shelf", hidden.parent)
    report = immunokb.validate([corpus], bundled=False)
    assert (report.ok, report.warnings, report.documents) == (True, (), 1)  # read once
    kb = loads(corpus, bundled=False)
    assert [(s.id, s.path) for s in kb.sources] == [
        ("zzq-stored", str(corpus / "shelf" / "zzq-stored.md"))
    ]


def _finishes(function: object, timeout: float = 30) -> object:
    """Run ``function()`` in a thread; fail instead of hanging."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(function)  # type: ignore[arg-type]
        return future.result(timeout=timeout)
    finally:
        pool.shutdown(wait=False)


def test_directory_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _source(corpus / "a" / "b" / "zzq-deep.md")
    _symlink(corpus / "here", ".")
    _symlink(corpus / "a" / "b" / "up", "../..")
    report = _finishes(lambda: immunokb.validate([corpus], bundled=False))
    assert isinstance(report, immunokb.ValidationReport)
    assert (report.ok, report.documents, report.warnings) == (True, 1, ())


def test_file_symlink_loop_is_skipped_with_a_warning(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _source(corpus / "zzq-fine.md")
    _symlink(corpus / "zzq-ping.md", "zzq-pong.md")
    _symlink(corpus / "zzq-pong.md", "zzq-ping.md")
    report = _finishes(lambda: immunokb.validate([corpus], bundled=False))
    assert isinstance(report, immunokb.ValidationReport)
    assert report.ok
    assert report.documents == 1
    assert sorted(Path(w.path).name for w in report.warnings) == ["zzq-ping.md", "zzq-pong.md"]


def test_broken_symlink_is_skipped_with_a_warning(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _source(corpus / "zzq-fine.md")
    _symlink(corpus / "zzq-gone.md", corpus / "nowhere.md")
    report = immunokb.validate([corpus], bundled=False)
    assert report.ok
    assert [(w.path, w.reason.endswith("; skipped")) for w in report.warnings] == [
        (str(corpus / "zzq-gone.md"), True)
    ]


def test_non_documents_in_a_directory_are_skipped_and_listed() -> None:
    folder = BAD / "mixed-folder"
    assert (folder / ".hidden.md").is_file()  # present, but never read
    report = immunokb.validate([folder], bundled=False)
    assert report.ok
    assert report.documents == 2
    assert report.skipped == (str(folder / "notes.txt"), str(folder / "sub" / "data.json"))
    kb = loads(folder, bundled=False)
    assert sorted(s.id for s in kb.sources) == ["zzq-long-name", "zzq-mixed"]


def test_a_non_document_named_directly_is_an_error() -> None:
    path = BAD / "notes.txt"
    error = refused(path, bundled=False)
    assert error.path == str(path)
    assert error.line is None
    assert error.reason == (
        "not a document: immunokb reads Markdown files named *.md or *.markdown"
    )


def test_every_missing_path_is_reported(tmp_path: Path) -> None:
    error = refused(tmp_path / "nope.md", tmp_path / "nada", bundled=False, count=2)
    assert [(p.path, p.reason) for p in error.problems] == [
        (str(tmp_path / "nope.md"), "no such file or directory"),
        (str(tmp_path / "nada"), "no such file or directory"),
    ]


# ----------------------------------------------------------------- source fields


def test_unknown_source_fields_are_kept_with_a_warning_each() -> None:
    path = BAD / "unknown-fields.md"
    with pytest.warns(immunokb.DocumentWarning) as caught:
        kb = immunokb.load([path], bundled=False)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        f"{path}:3: author: unknown field, kept in Source.extra "
        "(and 7 more warnings; see kb.warnings)"
    )
    assert [(w.path, w.line, w.field, w.reason) for w in kb.warnings] == [
        (str(path), line, field, "unknown field, kept in Source.extra")
        for line, field in [
            (3, "author"),
            (4, "department"),
            (5, "trialId"),
            (6, "keywords"),
            (9, "reviewer"),
            (10, "sourceUrl"),
            (11, "lang"),
            (12, "published"),
        ]
    ]
    source = kb.source("unknown-fields")
    assert dict(source.extra) == {
        "author": "A. Curator",
        "department": "Oncology pharmacy",
        "trialId": "NCT00000000",
        "keywords": ("leaflet", "test"),  # frozen
        "reviewer": "B. Reviewer",
        "sourceUrl": "https://example.org/zzq",
        "lang": "en",
        # `published` (as in Jekyll front matter) is the author's own field, not a
        # misspelt `publisher`; it was refused as one before the fix.
        "published": True,
    }
    assert source.url is None
    assert source.language is None


def test_near_miss_fields_are_errors_with_a_suggestion() -> None:
    path = BAD / "near-miss-fields.md"
    error = refused(path, bundled=False, count=3)
    assert [(p.line, p.field, p.reason) for p in error.problems] == [
        (3, "lastReviwed", "unknown field; did you mean 'lastReviewed'?"),
        (4, "licence", "unknown field; did you mean 'license'?"),
        (5, "last_reviewed", "unknown field; did you mean 'lastReviewed'?"),
    ]


PLAUSIBLE_USER_FIELDS = [
    "author",
    "authors",
    "department",
    "trialId",
    "trial_id",
    "keywords",
    "reviewer",
    "reviewedBy",
    "sourceUrl",
    "sourceName",
    "lang",
    "locale",
    "doi",
    "pmid",
    "journal",
    "date",
    "published",
    "publishedDate",
    "updated",
    "category",
    "summary",
    "draft",
    "layout",
    "translator",
    "originalLanguage",
    "licenseUrl",
    "nextReview",
]
NEAR_MISSES = {
    "lastReviwed": "lastReviewed",
    "licence": "license",
    "last_reviewed": "lastReviewed",
    "LastReviewed": "lastReviewed",
    "Title": "title",
    "URL": "url",
    "source_type": "sourceType",
    "audience": "audienceLevel",
    "audiencelevel": "audienceLevel",
    "publisher": "source",
    "cancer_types": "cancerTypes",
    "cancerType": "cancerTypes",
    "reviewFreqency": "reviewFrequency",
    "review_frequency": "reviewFrequency",
    "versoin": "version",
    "note": "notes",
}


def test_plausible_user_fields_are_not_near_misses(tmp_path: Path) -> None:
    lines = [f"{field}: value {index}" for index, field in enumerate(PLAUSIBLE_USER_FIELDS)]
    path = tmp_path / "zzq-own-fields.md"
    path.write_text("---\ntitle: Zzq\n" + "\n".join(lines) + "\n---\nBody.\n", encoding="utf-8")
    report = immunokb.validate([path], bundled=False)
    assert report.errors == ()
    assert [w.field for w in report.warnings] == PLAUSIBLE_USER_FIELDS
    assert [w.line for w in report.warnings] == list(range(3, 3 + len(PLAUSIBLE_USER_FIELDS)))


def test_near_misses_are_errors(tmp_path: Path) -> None:
    lines = [f"{field}: x" for field in NEAR_MISSES]
    path = tmp_path / "zzq-typos.md"
    path.write_text("---\ntitle: Zzq\n" + "\n".join(lines) + "\n---\nBody.\n", encoding="utf-8")
    error = refused(path, bundled=False, count=len(NEAR_MISSES))
    assert [(p.field, p.reason) for p in error.problems] == [
        (field, f"unknown field; did you mean {meant!r}?") for field, meant in NEAR_MISSES.items()
    ]


# ----------------------------------------------------------------- encodings


ENDINGS = BAD / "line-endings"


def test_line_ending_fixtures_are_stored_byte_exact() -> None:
    # If git normalised these files (see .gitattributes), the next test would
    # compare LF with LF and prove nothing.
    source = {name: (ENDINGS / name / "zzq-endings.md").read_bytes() for name in ENDINGS_VARIANTS}
    assert b"\r" not in source["lf"]
    assert not source["lf"].startswith(b"\xef\xbb\xbf")
    assert source["crlf"].count(b"\r\n") == source["lf"].count(b"\n")
    assert b"\n" not in source["cr"]
    assert source["bom"] == b"\xef\xbb\xbf" + source["lf"]
    assert source["bom-crlf"] == b"\xef\xbb\xbf" + source["crlf"]
    assert (BAD / "latin1.md").read_bytes().count(b"\xf3") == 1


ENDINGS_VARIANTS = ["lf", "crlf", "cr", "bom", "bom-crlf"]


def test_bom_and_crlf_documents_load_identically_to_lf() -> None:
    kbs = {name: loads(ENDINGS / name) for name in ENDINGS_VARIANTS}
    plain = kbs["lf"]
    source = plain.source("zzq-endings")
    assert "\r" not in source.text
    assert not source.text.startswith("\ufeff")
    assert source.title == "Zzqmab leaflet, line endings (invented test fixture)"
    assert len(plain.get("zzq-endings-itching").citations) == 2
    for name, kb in kbs.items():
        assert kb.fingerprint == plain.fingerprint, name
        assert repr(kb) == repr(plain)
        assert kb.source("zzq-endings").text == source.text


@pytest.mark.parametrize("variant", ENDINGS_VARIANTS)
def test_line_numbers_do_not_depend_on_line_endings(tmp_path: Path, variant: str) -> None:
    text = "---\ntitle: Zzq\nlicense: free\n---\nBody.\n"
    data = text.replace("\n", "\r\n" if "crlf" in variant else "\r" if variant == "cr" else "\n")
    path = tmp_path / "zzq-ending.md"
    path.write_bytes(("\ufeff" if variant.startswith("bom") else "").encode() + data.encode())
    error = refused(path, bundled=False)
    assert (error.line, error.field) == (3, "license")


def test_devanagari_round_trips_exactly() -> None:
    folder = BAD / "devanagari"
    kb = loads(folder)
    raw = (folder / "zzq-hindi-leaflet.md").read_bytes().decode("utf-8")
    source = kb.source("zzq-hindi-leaflet")
    assert source.text == raw.split("---\n", 2)[2].strip()
    # U+095B is not in normal form C: any normalisation of the text would change it.
    assert source.title == "ज़ीक्यूमैब पर्चा (परीक्षण के लिए काल्पनिक दस्तावे\u095b)"
    assert "\u095b" in source.text
    assert "\u091c\u093c" in source.text
    effect = kb.get("खुजली")
    assert (effect.id, effect.name, effect.aliases) == (
        "zzq-khujli",
        "खुजली",
        ("ज़ीक्यूमैब की खुजली",),
    )
    assert kb.get("ज़ीक्यूमैब की खुजली") is effect
    assert [source.text[c.start : c.end] for c in effect.citations] == [
        c.quote for c in effect.citations
    ]
    assert effect.citations[-1].quote == "यह दस्तावे\u095b केवल परीक्षण के लिए है।"
    assert effect.summary == "खुजली: परीक्षण के लिए एक काल्पनिक दुष्प्रभाव।"
