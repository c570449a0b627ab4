"""Fuzzing the document reader and the build: only DocumentError may escape.

Hypothesis drives the fuzzing (atheris has no build for this Python). The targets
are ``immunokb._documents.parse_document`` and ``immunokb._build.build``; the inputs
are arbitrary bytes, bytes shaped like a document (``---`` lines around random YAML
fragments), and structured but hostile frontmatter: the fields of the entity schema
and of the house frontmatter with values of the right shape but random content
(quotes, lead-ins, ids, vocabularies that may or may not fit), in which up to two
values are then replaced by any YAML value at all (dates, binary, sets, NaN, nested
mappings with non-text keys...) or deleted. Many of these documents pass the schema,
so the later checks (quotes, lead-ins, regulators, phases, disputes, references) run
on hostile input too.

By default each target runs 200 examples, which keeps CI quick. To fuzz longer, set
``IMMUNOKB_FUZZ_EXAMPLES``::

    IMMUNOKB_FUZZ_EXAMPLES=50000 python -m pytest -p no:cacheprovider tests/test_fuzz_documents.py

The bugs this fuzzing found are pinned by the tests at the end of this file: explicit
core tags on values they do not fit, numbers thousands of digits long, and bodies on
which checking took quadratic time.

A failing example is shrunk and printed by hypothesis, with the document's bytes
(``document bytes: b'...'``) for the structured inputs: pass them to
``parse_document("x.md", data)``, or to ``build`` with ``BASE_DOCUMENTS``, to
reproduce the failure outside the test.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import immunokb
from docwriter import encode, render
from immunokb._build import build
from immunokb._documents import parse_document
from immunokb._load import RawDocument

FUZZ_EXAMPLES = int(os.environ.get("IMMUNOKB_FUZZ_EXAMPLES", "200"))
SANITY_SECONDS = 10.0
"""A generous bound per example, as a sanity check against hangs; not a performance test."""

fuzz = settings(
    max_examples=FUZZ_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _only_document_errors(call: Any, *args: Any) -> str:
    """Run ``call``; return 'ok' or 'refused'. Any exception but DocumentError escapes."""
    started = time.perf_counter()
    error: immunokb.DocumentError | None = None
    try:
        call(*args)
    except immunokb.DocumentError as exc:
        error = exc
    assert time.perf_counter() - started < SANITY_SECONDS
    if error is not None:
        assert type(error) is immunokb.DocumentError
        assert error.problems
        for problem in error.problems:
            assert type(problem) is immunokb.DocumentError
            assert problem.path
            assert problem.reason
            # Every refusal is worded by immunokb: no error type of the schema
            # validator falls through to the catch-all.
            assert "invalid value (" not in problem.reason, problem.reason
            assert problem.line is None or problem.line >= 1
    outcome = "ok" if error is None else "refused"
    event(outcome)
    return outcome


# --------------------------------------------------------------------------- the reader

FRAGMENTS = [
    "\n", "\n", " ", "  ", "\t", "\r", "\r\n", "- ", ": ", ":", ",", "[", "]", "{", "}",
    "? ", "|", "|-", ">", "'", '"', "#", "\\", "<<", "---", "...", "%YAML 1.1", "%TAG ! x",
    "&a ", "*a", "&b ", "*b", "*undefined", "!!str ", "!!map ", "!!seq ", "!!set ",
    "!!omap ", "!!pairs ", "!!binary ", "!!null ", "!!merge ", "!!value ",
    "!!python/object:os.getcwd ", "!!python/name:builtins.len ", "!local ", "!<tag:x,2000:y> ",
    "kind", "title", "id", "name", "value", "cite", "source", "quote", "lead_in", "curated",
    "status", "lastReviewed", "tags", "zqxmine", "therapy", "vaccine", "side_effect",
    "null", "~", "true", "no", "2024-01-01", "2024-01-01 10:00:00", "0x1F", "0o17", "1:20",
    ".nan", "-.inf", "1e400", "12", "é", "क", "ि", "中", "🧬", "\u2028", "\x85", "\ufeff", "\x00",
]  # fmt: skip
"""Pieces of YAML syntax, schema words and awkward characters."""
FOUND_BUG_FRAGMENTS = ["!!bool ", "!!int ", "!!float ", "!!timestamp ", "? 0x" + "f" * 4000]
"""Fragments that reached bugs this fuzzing found (tags on unfit values, huge keys)."""

fragments = st.sampled_from(FRAGMENTS + FOUND_BUG_FRAGMENTS)
yamlish = st.lists(fragments | st.text(max_size=6), max_size=40).map("".join)
"""Text made of YAML fragments: mostly malformed, sometimes a strange but valid mapping."""


@fuzz
@given(st.binary(max_size=600))
def test_parse_document_arbitrary_bytes(data: bytes) -> None:
    _only_document_errors(parse_document, "fuzz.md", data)


@fuzz
@given(yamlish, st.binary(max_size=40), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_parse_document_frontmatter_shaped_bytes(
    frontmatter: str, body: bytes, newline: str, bom: bool
) -> None:
    data = encode(f"---\n{frontmatter}\n---\n", newline=newline, bom=bom) + body
    note(f"document bytes: {data!r}")
    _only_document_errors(parse_document, "fuzz.md", data)


# --------------------------------------------------------------------------- the build

ENTITY_WORDS = [
    "aliases", "broader", "cancer_type", "cite", "claim", "curated", "disputed_by", "id",
    "indications", "kind", "lead_in", "name", "phase", "platform", "purpose", "quote",
    "regulator", "routes", "side_effect", "side_effects", "source", "status", "value",
]  # fmt: skip
HOUSE_WORDS = [
    "title", "url", "source", "sourceType", "citation", "license", "language",
    "audienceLevel", "cancerTypes", "tags", "lastReviewed", "reviewFrequency", "status",
    "version", "notes", "lastReviwed", "licence", "zqxmine", "published",
]  # fmt: skip

SOURCE_BODY = """# Cancer vaccines

Vaccine X is approved by the FDA for melanoma. It was tested in Phase III trials.

## Side effects

Vaccine X can cause:
- fever and chills
- fatigue

---

Vaccine Y is in Phase 1/2 trials. प्रतिरक्षा चिकित्सा 🧬.
"""
OTHER_BODY = "Vaccine X was withdrawn by the EMA.\n\nThe NCI says: “Vaccine Y failed.”\n"
QUOTES = [
    "Vaccine X is approved by the FDA for melanoma.",
    "It was tested in Phase III trials.",
    "fever and chills",
    "fatigue",
    "Vaccine Y is in Phase 1/2 trials.",
    "प्रतिरक्षा चिकित्सा",
    "Vaccine X was withdrawn by the EMA.",
    'The NCI says: "Vaccine Y failed."',
    "not in any source",
]
LEAD_INS = ["Vaccine X can cause:", "Side effects", "Cancer vaccines", "# Cancer vaccines", "x"]
BASE_DOCUMENTS = [
    ("sources/src.md", encode(render({"title": "S", "sourceType": "02_nci"}, SOURCE_BODY))),
    ("sources/other.md", encode(render({"title": "O", "sourceType": "07_ad"}, OTHER_BODY))),
    (
        "entities/melanoma.md",
        encode(
            render(
                {
                    "kind": "cancer_type",
                    "id": "melanoma",
                    "name": {"value": "melanoma", "cite": [{"source": "src", "quote": QUOTES[0]}]},
                    "cite": [{"source": "src", "quote": QUOTES[0]}],
                },
                "",
            )
        ),
    ),
]
"""Two sources and a cancer type that the hostile documents can cite and point at."""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(QUOTES + LEAD_INS + ["src", "other", "melanoma", "fever", "approved"]),
    st.dates(),
    st.datetimes(),
    st.binary(max_size=6),
)
"""Every kind of YAML scalar safe_dump writes: dates, timestamps, binary, NaN..."""
keys = st.one_of(
    st.sampled_from(ENTITY_WORDS + HOUSE_WORDS),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.dates(),
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(keys, inner, max_size=3)
        | st.frozensets(st.integers(0, 3) | st.text(max_size=3), max_size=3).map(set)
    ),
    max_leaves=8,
)
"""Any value safe_dump can write (sets become !!set)."""


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a frontmatter mapping."""
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    return [p for key, item in items for p in [(*prefix, key), *_paths(item, (*prefix, key))]]


@st.composite
def spoiled(draw: st.DrawFn, meta: dict[Any, Any]) -> dict[Any, Any]:
    """``meta`` with up to two values replaced by anything at all, or deleted.

    One document in three is left as it is, so that many pass the schema and reach
    the later checks (quotes, lead-ins, regulators, phases, disputes, references).
    """
    for _ in range(draw(st.sampled_from([0, 1, 2]))):
        paths = _paths(meta)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node: Any = meta
        for part in path[:-1]:
            node = node[part]
        if draw(st.booleans()):
            node[path[-1]] = draw(anything)
        else:
            del node[path[-1]]
    return meta


strays = st.one_of(st.just({}), st.just({}), st.dictionaries(keys, anything, max_size=1))
"""Now and then, a field of no schema."""
texts = st.sampled_from(["Vaccine X", "fever", "x", "", " ", "FDA", "Phase III"]) | st.text(
    max_size=8
)
names = st.sampled_from(["Vaccine X", "Vaccine Y", "fever", "fatigue", "प्रतिरक्षा", "NCI", "X"])
cite_docs = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["src", "src", "src", "other", "missing"]),
        "quote": st.sampled_from(QUOTES),
    },
    optional={"lead_in": st.sampled_from(LEAD_INS)},
)
cite_lists = st.lists(cite_docs, min_size=1, max_size=2)
disputes = st.fixed_dictionaries({"claim": texts, "cite": cite_lists})
QUALIFIERS = {
    "phase": st.sampled_from(["phase_1_2", "phase_3", "phase_1", "phase_5"]),
    "regulator": st.sampled_from(["FDA", "EMA", "NMPA", "Food and Drug Administration"]),
    "disputed_by": st.lists(disputes, max_size=2),
}


@st.composite
def statements(
    draw: st.DrawFn, key: str = "value", values: Any = names, claim: bool = False
) -> Any:
    """A statement (or a claim, with its qualifiers): a value with its evidence."""
    doc: dict[Any, Any] = {key: draw(values)}
    evidence = draw(st.sampled_from(["cite"] * 5 + ["curated"] * 3 + ["both", "neither"]))
    if evidence in {"cite", "both"}:
        doc["cite"] = draw(cite_lists)
    if evidence in {"curated", "both"}:
        doc["curated"] = draw(texts)
    if claim:
        for name in draw(st.lists(st.sampled_from(sorted(QUALIFIERS)), unique=True)):
            doc[name] = draw(QUALIFIERS[name])
    return doc


STATUSES = ["approved", "in_use", "investigational", "failed", "disputed"]
claims = statements(values=st.sampled_from(STATUSES), claim=True)
ENTITY_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": st.sampled_from(["vx", "vx", "vx-2", "melanoma", "Bad Id"]),
    "name": statements(),
    "scope": st.sampled_from(["product", "class", "drug", None]),
    "aliases": st.lists(statements(), max_size=2),
    "broader": st.lists(statements(values=st.sampled_from(["melanoma", "vx", "nope"])), max_size=2),
    "cite": cite_lists,
    "status": claims | st.lists(claims, max_size=3),
    "routes": st.lists(statements(values=st.sampled_from(["oral", "intravenous", "oral "]))),
    "indications": st.lists(
        st.tuples(
            st.sampled_from(["melanoma", "melanoma", "vx", "none"]),
            statements(key="status", values=st.sampled_from(STATUSES), claim=True),
        ).map(lambda pair: {"cancer_type": pair[0], **pair[1]}),
        max_size=2,
    ),
    "side_effects": st.lists(
        statements(key="side_effect", values=st.sampled_from(["melanoma", "fever"])), max_size=2
    ),
    "platform": statements(values=st.sampled_from(["mrna", "peptide", "other", "rna"])),
    "purpose": statements(values=st.sampled_from(["treatment", "prevention", "cure"])),
}
REQUIRED = ("id", "name", "cite")


@st.composite
def hostile_entities(draw: st.DrawFn) -> dict[Any, Any]:
    """An entity document's frontmatter: the schema's fields, then spoiled and strays."""
    kind = draw(st.sampled_from(["therapy", "vaccine", "side_effect", "cancer_type"]))
    optional = [key for key in sorted(ENTITY_FIELDS) if key not in REQUIRED]
    meta: dict[Any, Any] = {"kind": kind}
    for key in [*REQUIRED, *draw(st.lists(st.sampled_from(optional), unique=True, max_size=4))]:
        meta[key] = draw(ENTITY_FIELDS[key])
    return {**draw(spoiled(meta)), **draw(strays)}


HOUSE_SHAPES: dict[str, st.SearchStrategy[Any]] = {
    "title": texts,
    "url": st.sampled_from(["https://example.org/a", "ftp://x", "example.org"]),
    "source": texts,
    "sourceType": st.sampled_from(["02_nci_core", "07_ad", "7_ad", "02-nci"]),
    "citation": texts,
    "license": st.sampled_from(["cc_by", "public_domain", "cc-by", "unknown"]),
    "language": st.sampled_from(["en", "hi", "pt-BR", "english", "e"]),
    "audienceLevel": st.sampled_from(["patient", "general", "kids"]),
    "cancerTypes": st.lists(texts, max_size=2),
    "tags": st.lists(texts, max_size=2),
    "lastReviewed": st.sampled_from(["2024-01-01", "2024-01", 2021, "2024-13-01", "2024-01-01T10"]),
    "reviewFrequency": st.sampled_from(["monthly", "yearly", "as_needed"]),
    "status": st.sampled_from(["active", "draft", "gone"]),
    "version": texts,
    "notes": texts,
    "lastReviwed": texts,
    "licence": texts,
    "zqxmine": anything,
    "published": texts,
    "cite": cite_lists,
    "kinds": texts,
}


@st.composite
def hostile_sources(draw: st.DrawFn) -> dict[Any, Any]:
    """A source document's frontmatter: house fields and near misses, spoiled, and strays."""
    chosen = draw(st.lists(st.sampled_from(sorted(HOUSE_SHAPES)), unique=True, max_size=6))
    meta = {key: draw(HOUSE_SHAPES[key]) for key in chosen}
    return {**draw(spoiled(meta)), **draw(strays)}


def _dump(meta: dict[Any, Any], body: str) -> bytes | None:
    try:
        return encode(render(meta, body))
    except yaml.YAMLError:  # safe_dump cannot write it (a key it cannot represent)
        return None


@fuzz
@given(hostile_entities(), st.text(max_size=30))
def test_build_hostile_entity_documents(meta: dict[Any, Any], body: str) -> None:
    data = _dump(meta, body)
    note(f"document bytes: {data!r}")
    if data is not None:
        _only_document_errors(build, [*BASE_DOCUMENTS, ("entities/fuzz.md", data)])


@fuzz
@given(hostile_sources(), st.text(max_size=30), st.sampled_from(["a", "02_nci", "fuzz source"]))
def test_build_hostile_source_documents(meta: dict[Any, Any], body: str, folder: str) -> None:
    data = _dump(meta, body)
    note(f"document bytes: {data!r}")
    if data is not None:
        document = RawDocument(f"{folder}/fuzz.md", data, (folder,))
        _only_document_errors(build, [*BASE_DOCUMENTS, document])


@fuzz
@given(st.lists(st.binary(max_size=200) | yamlish.map(lambda y: f"---\n{y}\n---\n".encode())))
def test_build_arbitrary_documents(datas: list[bytes]) -> None:
    documents = [(f"d/{i}.md", data) for i, data in enumerate(datas)]
    _only_document_errors(build, [*BASE_DOCUMENTS, *documents])


# --------------------------------------------------------------------------- found bugs


# A tag for one kind of node on another kind (found by the fuzzing above): the
# check of a scalar's form was run on a list and raised TypeError.
@pytest.mark.parametrize(
    ("frontmatter", "reason"),
    [
        ("!!bool\n-", "YAML tag !!bool does not fit a list"),
        ("x: !!int {a: 1}", "YAML tag !!int does not fit a mapping"),
        ("x: !!str [a]", "YAML tag !!str does not fit a list"),
        ("x: !!seq a", "YAML tag !!seq does not fit a single value"),
        ("x: !!map [a]", "YAML tag !!map does not fit a list"),
    ],
)
def test_a_tag_on_the_wrong_kind_of_node_is_a_document_error(frontmatter: str, reason: str) -> None:
    with pytest.raises(immunokb.DocumentError) as info:
        parse_document("x.md", f"---\n{frontmatter}\n---\n".encode())
    assert (info.value.reason, info.value.line) == (reason, 2)


# Explicit YAML core tags whose constructors failed on values they do not fit, with
# exceptions that parse_document did not catch (KeyError, IndexError, AttributeError).
UNFIT_TAGS = [
    "!!bool maybe",
    "!!bool ''",
    "!!int ''",
    "!!int _",
    "!!int +",
    "!!float ''",
    "!!timestamp notadate",
    "!!timestamp ''",
]


@pytest.mark.parametrize("value", UNFIT_TAGS)
def test_explicit_core_tag_on_an_unfit_value_is_a_document_error(value: str) -> None:
    data = f"---\nx: {value}\n---\n".encode()
    with pytest.raises(immunokb.DocumentError) as info:
        parse_document("x.md", data)
    assert type(info.value) is immunokb.DocumentError
    assert info.value.line == 2


def test_a_huge_integer_key_is_a_document_error() -> None:
    # It made the message 'field name {key!r} is not text' raise ValueError (Python's
    # limit on converting ints of more than 4300 digits to text).
    data = ("---\n? 0x" + "f" * 4000 + "\n: x\n---\n").encode()
    with pytest.raises(immunokb.DocumentError, match="a number of 4002 characters"):
        parse_document("x.md", data)


def _seconds(documents: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    with contextlib.suppress(immunokb.DocumentError):
        build(documents)
    return time.perf_counter() - started


def _source(body: str, meta: str = "title: t\n") -> tuple[str, bytes]:
    return ("sources/s.md", f"---\n{meta}---\n{body}".encode())


def _citing(lead_in: str, quote: str) -> tuple[str, bytes]:
    meta = (
        "kind: side_effect\nid: e\nname: {value: e, curated: x}\n"
        f"cite:\n- {{source: s, lead_in: '{lead_in}', quote: '{quote}'}}\n"
    )
    return ("entities/e.md", f"---\n{meta}---\n".encode())


NEAR_LIMIT = 1_900_000
"""Characters of hostile body: just under the 2 MiB limit on a document."""


def _title_heading(n: int) -> list[tuple[str, bytes]]:
    """No title, and a body starting with '# a' and a long run of spaces.

    A title regex ``^#[ \t]+(.+?)[ \t#]*$`` backtracked quadratically on it.
    """
    return [_source("# a" + " " * n + "b", "source: x\n")]


def _long_list(n: int) -> list[tuple[str, bytes]]:
    """A lead-in, then a list whose items contain the quote, never at an item's start.

    Each occurrence of the quote re-split the text from the lead-in onwards.
    """
    return [_source("L:\n" + "- xq\n" * (n // 5)), _citing("L:", "q")]


def _one_long_item(n: int) -> list[tuple[str, bytes]]:
    """A lead-in, then one list item holding the quote many times, never at its start."""
    return [_source("L:\n- x" + " q" * (n // 2)), _citing("L:", "q")]


def _lead_in_occurrences(n: int) -> list[tuple[str, bytes]]:
    """A lead-in whose words occur many times on one long line.

    Each occurrence scanned to the end of the line, and the quote search to the end.
    """
    return [_source("a " * (n // 2)), _citing("a", "zz")]


def _heading_occurrences(n: int) -> list[tuple[str, bytes]]:
    """Many headings equal to the lead-in: each occurrence split the rest of the text."""
    return [_source("# a\n" * (n // 4) + "zz"), _citing("a", "zz")]


HOSTILE = {
    "title heading": _title_heading,
    "list after a lead-in": _long_list,
    "one long list item": _one_long_item,
    "lead-in occurrences": _lead_in_occurrences,
    "heading occurrences": _heading_occurrences,
}
"""Bodies on which checking once took quadratic time: minutes to hours near the limit."""


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bodies_near_the_size_limit_do_not_hang(case: str) -> None:
    """A hang guard, not a performance test: linear checking takes about a second."""
    documents = HOSTILE[case](NEAR_LIMIT)
    assert all(len(data) < immunokb.MAX_DOCUMENT_BYTES for _, data in documents)
    assert _seconds(documents) < SANITY_SECONDS, case


def test_the_fuzz_inputs_are_not_all_refused() -> None:
    """The hostile generators reach a successful build, so the later checks run too."""
    valid = {
        "kind": "side_effect",
        "id": "fever",
        "name": {
            "value": "fever",
            "cite": [{"source": "src", "lead_in": LEAD_INS[0], "quote": QUOTES[2]}],
        },
        "cite": [{"source": "other", "quote": QUOTES[7]}],
    }
    kb = build([*BASE_DOCUMENTS, ("entities/fuzz.md", encode(render(valid, "")))])
    assert kb.get("fever").citations[0].source_id == "other"
    assert kb.get("melanoma").kind == "cancer_type"
