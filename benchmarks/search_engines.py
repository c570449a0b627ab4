"""Our ranked search against SQLite FTS5 (standard library), on the same documents.

Run:  python benchmarks/search_engines.py [--passages N]

It indexes the bundled knowledge base (entities and source passages) and, for the
timings at scale, the same plus N synthetic passages made by recombining the
bundled sentences (default 10,000), in two engines:

- immunokb's SearchIndex (pure Python BM25 with name boosts and one typo per word);
- an in-memory SQLite FTS5 table (tokenizer ``unicode61 remove_diacritics 2``,
  ranked by ``bm25()`` with the name column weighted 10 to 1).

and prints, for each: build time, median and 95th-percentile query time over a
fixed query set, and how many of a set of questions with a known answer (names,
typos, partial words, Devanagari, Japanese) put the expected entity or passage
first. The figures decide which engine we ship; docs/lookup-and-search.md records
them.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import time
from collections.abc import Callable

import immunokb
from immunokb import Source
from immunokb._search import SearchIndex, passages

QUERIES = [
    "tumor lysis",
    "melanoma",
    "how often is immunotherapy given",
    "side effects of cancer vaccines",
    "dendritic cell",
    "checkpoint inhibitors",
    "flu-like symptoms",
    "T-VEC",
    "clinical trials",
    "bladder cancer",
]

# (query, what should come first: an entity id, or "passage:<text it starts with>")
EXPECTED = [
    ("sipuleucel-T", "sipuleucel-t"),
    ("Imlygic", "talimogene-laherparepvec"),
    ("tumor lysis syndrome", "tumor-lysis-syndrome"),
    ("checkpoint inhibiters", "immune-checkpoint-inhibitors"),
    ("melanoam", "melanoma"),
    ("oncolitic virus therapy", "oncolytic-virus-therapy"),
    ("sipuleucal-T", "sipuleucel-t"),
    ("imlygik", "talimogene-laherparepvec"),
    ("टीका", "passage:टीका"),
    ("कोशकाओं", "passage:टीका"),
    ("免疫", "passage:免疫療法"),
]

EXTRA = """---
title: extra
sourceType: 02_test
---
टीका प्रतिरक्षा प्रणाली को कैंसर कोशिकाओं को पहचानने में मदद करता है।

免疫療法はがんの治療法の一つです。
"""


def extra_source() -> Source:
    body = EXTRA.split("---\n", 2)[2]
    return Source(id="extra", title="extra", source_type="02_test", text=body, path="extra.md")


def synthetic_sources(base: tuple[Source, ...], count: int, seed: int = 7) -> list[Source]:
    """``count`` passages recombined from the bundled sentences, 100 to a source."""
    sentences = [
        s.strip()
        for source in base
        for p in passages(source)
        for s in re.split(r"(?<=[.!?])\s+", p.text)
        if len(s.split()) > 3
    ]
    rng = random.Random(seed)
    out: list[Source] = []
    for number in range(0, count, 100):
        paragraphs = [" ".join(rng.sample(sentences, 3)) for _ in range(min(100, count - number))]
        out.append(
            Source(
                id=f"synthetic-{number // 100}",
                title=f"synthetic {number // 100}",
                text="\n\n".join(paragraphs),
                path=f"synthetic-{number // 100}.md",
            )
        )
    return out


class Fts5:
    """The same documents in an FTS5 table: one row per entity or passage."""

    def __init__(self, kb: immunokb.KnowledgeBase, sources: list[Source]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "names, body, key UNINDEXED, tokenize='unicode61 remove_diacritics 2')"
        )
        rows = [(" ".join([e.name, *e.aliases]), e.summary, e.id) for e in kb.entities]
        rows += [
            ("", f"{p.section or ''} {p.text}", f"passage:{p.text}")
            for source in sources
            for p in passages(source)
        ]
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)

    def search(self, text: str, limit: int = 10) -> list[str]:
        words = re.findall(r"\w+", text)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        found = self.db.execute(
            "SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 10.0, 1.0) LIMIT ?",
            (match, limit),
        ).fetchall()
        return [key for (key,) in found]


def ours_keys(index: SearchIndex, text: str, limit: int = 10) -> list[str]:
    return [
        h.entity.id if h.entity is not None else f"passage:{h.citation.quote if h.citation else ''}"
        for h in index.search(text, limit)
    ]


def timed(build: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    built = build()
    return built, (time.perf_counter() - start) * 1000


def query_times(search: Callable[[str], object], rounds: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            search(query)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def correct(keys: list[str], expected: str) -> bool:
    if not keys:
        return False
    if expected.startswith("passage:"):
        return keys[0].startswith(expected)
    return keys[0] == expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    args = parser.parse_args()
    kb = immunokb.load()
    small = [*kb.sources, extra_source()]
    large = [*small, *synthetic_sources(kb.sources, args.passages)]
    print(f"Python sqlite3 {sqlite3.sqlite_version}; bundled KB {kb.content_version}")
    for label, sources in (("bundled", small), (f"bundled + {args.passages} passages", large)):
        ours, ours_ms = timed(lambda s=sources: SearchIndex(kb.entities, s))
        fts, fts_ms = timed(lambda s=sources: Fts5(kb, s))
        assert isinstance(ours, SearchIndex)
        assert isinstance(fts, Fts5)
        print(f"\n{label}: {len(ours)} documents")
        print(f"  {'engine':10} {'build ms':>9} {'median ms':>10} {'p95 ms':>8}  first hit right")
        for name, build_ms, search in (
            ("immunokb", ours_ms, lambda q, i=ours: ours_keys(i, q)),
            ("fts5", fts_ms, fts.search),
        ):
            median, p95 = query_times(search)
            right = [q for q, e in EXPECTED if correct(search(q), e)]
            print(
                f"  {name:10} {build_ms:9.1f} {median:10.3f} {p95:8.3f}  "
                f"{len(right)}/{len(EXPECTED)}"
            )
            missed = [q for q, _ in EXPECTED if q not in right]
            if missed:
                print(f"  {'':10} missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
