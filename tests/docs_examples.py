"""Read the examples on a Markdown page, run them, and say where they differ.

The rules are in the docstring of ``test_docs_pages.py``; this module implements
them, so that the tests there can run them on the real pages and on small pages of
their own that show each rule catching a mistake.
"""

from __future__ import annotations

import contextlib
import difflib
import doctest
import io
import re
import shutil
import subprocess
import sys
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import immunokb

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_DIRECTIVE = re.compile(r"<!--\s*docs-test:(?P<body>.*?)-->", re.DOTALL)
_FILE_DIRECTIVE = re.compile(r"file\s+(?P<path>\S+)")
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*\s+")

# A line of expected output that is only this stands for any number of lines.
ANY_LINES = frozenset({"…", "..."})
# Placeholders inside a line of expected output, and what they match.
PLACEHOLDERS = {
    "<version>": r"[0-9][0-9A-Za-z.+!-]*",
    "<fingerprint>": r"[0-9a-f]{8,64}",
    "<date>": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "<path>": r"[^\n]+?",
}
_PLACEHOLDER = re.compile("|".join(re.escape(name) for name in PLACEHOLDERS))

# Commands are run or skipped by their first words (after any VAR=value).
RUN = (
    "immunokb",
    "python -m immunokb",
    "python3 -m immunokb",
    "python -c",
    "python3 -c",
    "echo",
    "printf",
    "cat",
    "ls",
    "head",
    "tail",
    "grep",
    "wc",
    "sort",
    "mkdir",
    "cp",
    "touch",
)
SETUP = (
    "pip",
    "pip3",
    "python -m pip",
    "python3 -m pip",
    "python -m venv",
    "python3 -m venv",
    "python -m build",
    "python -m pytest",
    "python3 -m pytest",
    "pytest",
    "python benchmarks/",
    "python3 benchmarks/",
    "git",
    "cd",
    "source",
    "sphinx-build",
    "ruff",
    "mypy",
    "uvicorn",
    "fastapi",
    "curl",
)

# Optional dependencies (extras of pyproject.toml): a page whose python example needs
# one that is not installed is skipped, not failed, where it is missing (the wheel's
# test run installs only some extras). Any other missing module is a failure.
OPTIONAL_MODULES = frozenset({"pandas", "pyarrow", "fastapi", "httpx", "starlette"})

_STATUS_MARK = "\x1edocs-test-status"
_MARK = re.compile(_STATUS_MARK + r" (?P<statuses>[0-9 ]+)\x1e\n")


@dataclass(frozen=True)
class Block:
    """A fenced block of a page: its language, body and where it starts."""

    language: str
    body: str
    line: int  # the line of the opening fence, counted from 1
    before: str  # the page's text between the previous block and this one


@dataclass
class Outcome:
    """What running a page's examples found."""

    failures: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    missing: set[str] = field(default_factory=set)  # optional modules examples needed


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown page, in order."""
    found: list[Block] = []
    lines = text.splitlines(keepends=True)
    index, gap_start = 0, 0
    while index < len(lines):
        match = _FENCE.match(lines[index].rstrip("\n"))
        if match is None:
            index += 1
            continue
        fence, info = match.group("fence"), match.group("info").strip()
        end = index + 1
        while end < len(lines):
            closing = lines[end].rstrip("\n")
            if closing.startswith(fence) and set(closing) <= {fence[0]}:
                break
            end += 1
        language = info.split()[0] if info else ""
        before = "".join(lines[gap_start:index])
        found.append(Block(language, "".join(lines[index + 1 : end]), index + 1, before))
        index = gap_start = end + 1
    return found


def _attached(before: str) -> list[str]:
    """The directives at the very end of the text before a block, in order."""
    found: list[str] = []
    rest = before.rstrip()
    while rest.endswith("-->"):
        start = rest.rfind("<!--")
        match = _DIRECTIVE.fullmatch(rest[start:])
        if start < 0 or match is None:
            break
        found.insert(0, match.group("body").strip())
        rest = rest[:start].rstrip()
    return found


def directives(block: Block) -> list[str]:
    """The ``<!-- docs-test: ... -->`` directives directly before a block."""
    return _attached(block.before)


def stray_directives(text: str, page_blocks: list[Block]) -> int:
    """How many directives of the page are not directly before a block."""
    return len(_DIRECTIVE.findall(text)) - sum(len(directives(b)) for b in page_blocks)


def matches(expected: str, actual: str) -> bool:
    """Whether output matches a page's expected output, markers included."""
    if expected and not expected.endswith("\n"):
        expected += "\n"
    pattern = []
    for line in expected.splitlines():
        if line.strip() in ANY_LINES:
            pattern.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = _PLACEHOLDER.split(line)
        names = _PLACEHOLDER.findall(line)
        regex = re.escape(pieces[0])
        for name, piece in zip(names, pieces[1:], strict=True):
            regex += PLACEHOLDERS[name] + re.escape(piece)
        pattern.append(regex + r"\n")
    return re.fullmatch("".join(pattern), actual) is not None


def diff(expected: str, actual: str) -> str:
    """A unified diff from the page's text to the output."""
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "page", "output", lineterm=""
    )
    return "\n".join(lines)


def _words(command: str) -> str:
    """The command without the ``NAME=value`` settings before it."""
    words = command.strip()
    while _ENV_ASSIGNMENT.match(words):
        words = _ENV_ASSIGNMENT.sub("", words, count=1)
    return words


def classify(command: str) -> str:
    """``run``, ``setup`` (never run) or ``unknown``, by the command's first words."""
    words = _words(command)
    for kind, prefixes in (("run", RUN), ("setup", SETUP)):
        for prefix in prefixes:
            if prefix.endswith("/") and words.startswith(prefix):
                return kind
            if words == prefix or words.startswith(prefix + " "):
                return kind
    return "unknown"


@dataclass(frozen=True)
class Command:
    """A shell command of a block, with the output the page shows for it."""

    text: str
    line: int
    expected: str


def console_commands(block: Block) -> tuple[list[Command], str | None]:
    """The ``$ `` commands of a console block, or a complaint about its shape."""
    commands: list[Command] = []
    lines = block.body.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            return commands, f"line {block.line + 1 + index} is neither `$ command` nor output"
        start = index
        text = line[2:]
        while text.endswith("\\") and index + 1 < len(lines):
            index += 1
            text += "\n" + lines[index]
        index += 1
        output_start = index
        while index < len(lines) and not lines[index].startswith("$ "):
            index += 1
        expected = "".join(f"{out}\n" for out in lines[output_start:index])
        commands.append(Command(text, block.line + 1 + start, expected))
    return commands, None


def bash_commands(block: Block) -> list[Command]:
    """The commands of a bash block, one per line (``\\`` continues a line)."""
    commands: list[Command] = []
    lines = block.body.splitlines()
    index = 0
    while index < len(lines):
        start, text = index, lines[index]
        while text.endswith("\\") and index + 1 < len(lines):
            index += 1
            text += "\n" + lines[index]
        index += 1
        if text.strip() and not text.lstrip().startswith("#"):
            commands.append(Command(text, block.line + 1 + start, ""))
    return commands


def _restore_statuses() -> str:
    """Bash that sets ``$?`` and ``PIPESTATUS`` back to the saved statuses.

    It runs at the top level, not in a function, since returning from a function
    would set ``PIPESTATUS`` again.
    """
    cases = [
        f"  {n}) "
        + " | ".join(f'__docs_test_ret "${{__docs_test_s[{i}]}}"' for i in range(n))
        + " ;;"
        for n in range(1, 7)
    ]
    return "\n".join(
        [
            "case ${#__docs_test_s[@]} in",
            *cases,
            '  *) __docs_test_ret "${__docs_test_s[-1]}" ;;',
            "esac",
        ]
    )


def session_script(commands: list[Command]) -> str:
    """One bash script that runs the commands in turn, marking where each one ends.

    After each command, its exit statuses are printed between markers and
    restored before the next one, so that ``$?`` and ``PIPESTATUS`` mean what
    they mean in a terminal. Standard error joins standard output, as in a
    terminal, unless a command redirects it.
    """
    parts = ["exec 2>&1", '__docs_test_ret() { return "$1"; }', "__docs_test_s=(0)"]
    for command in commands:
        parts += [
            _restore_statuses(),
            command.text,
            '__docs_test_s=("${PIPESTATUS[@]}")',
            f"printf '{_STATUS_MARK} %s\\x1e\\n' \"${{__docs_test_s[*]}}\"",
        ]
    return "\n".join(parts) + "\n"


def run_session(
    commands: list[Command], cwd: Path, env: dict[str, str]
) -> list[tuple[str, list[int]]] | str:
    """Run the commands in one bash; each one's output and statuses, or what went wrong."""
    bash = shutil.which("bash")
    if bash is None:  # pragma: no cover - every supported CI machine has bash
        return "bash is not installed"
    result = subprocess.run(
        [bash, "--noprofile", "--norc", "-c", session_script(commands)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
        check=False,
    )
    output = result.stdout.decode("utf-8", errors="replace")
    pieces = _MARK.split(output)
    if len(pieces) != 2 * len(commands) + 1:
        return f"the shell stopped early (status {result.returncode}):\n{output}"
    return [
        (_ended(pieces[2 * i]), [int(s) for s in pieces[2 * i + 1].split()])
        for i in range(len(commands))
    ]


def _ended(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _optional_module(error: Exception) -> str | None:
    """The optional dependency whose absence raised ``error``, if that is what it is."""
    if not isinstance(error, ImportError):
        return None
    module = (error.name or "").partition(".")[0]
    return module if module in OPTIONAL_MODULES else None


def _shows_status(command: Command | None) -> bool:
    if command is None:
        return False
    text = command.text.strip()
    return text.startswith("echo") and ("$?" in text or "PIPESTATUS" in text)


class PageRun:
    """Runs the examples of one page in a working directory, in page order."""

    def __init__(self, page: Path, name: str, workdir: Path, env: dict[str, str]) -> None:
        """Read the page; ``name`` is how failures refer to it."""
        self.page, self.name, self.workdir, self.env = page, name, workdir, env
        self.text = page.read_text(encoding="utf-8")
        self.blocks = blocks(self.text)
        self.outcome = Outcome()
        self.namespace: dict[str, object] = {"__name__": "__main__"}
        self.python_broken = False

    def fail(self, block: Block | Command, message: str) -> None:
        """Record a failure at a line of the page."""
        self.outcome.failures.append(f"{self.name}:{block.line}: {message}")

    def run(self) -> Outcome:
        """Write the page's files, then run every example block in order."""
        stray = stray_directives(self.text, self.blocks)
        if stray:
            self.outcome.failures.append(
                f"{self.name}: {stray} docs-test directive(s) not directly before a block"
            )
        for block in self.blocks:
            self.prepare(block)
        for index, block in enumerate(self.blocks):
            following = self.blocks[index + 1] if index + 1 < len(self.blocks) else None
            if block.language in ("python", "pycon"):
                self.python(block, following)
            elif block.language == "console":
                self.console(block)
            elif block.language == "bash":
                self.bash(block)
        return self.outcome

    def prepare(self, block: Block) -> None:
        """Carry out the directives before a block: write it to a file."""
        for directive in directives(block):
            match = _FILE_DIRECTIVE.fullmatch(directive)
            if match is None:
                self.fail(block, f"unknown docs-test directive {directive!r}")
                continue
            target = (self.workdir / match.group("path")).resolve()
            if not target.is_relative_to(self.workdir.resolve()):
                self.fail(block, f"file directive leaves the working directory: {directive!r}")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
            self.outcome.counts["files"] += 1

    def python(self, block: Block, following: Block | None) -> None:
        """Run a python block; compare its output with a text block right after it."""
        if self.python_broken:
            return
        if block.body.lstrip().startswith(">>>"):
            self.doctest(block)
            return
        out = io.StringIO()
        code = "\n" * block.line + block.body
        try:
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                # Pages load documents with fields of their own on purpose.
                warnings.simplefilter("ignore", immunokb.DocumentWarning)
                exec(compile(code, str(self.page), "exec"), self.namespace)  # noqa: S102
        except Exception as error:  # an example's error is reported, with its traceback
            self.python_broken = True
            module = _optional_module(error)
            if module is not None:
                self.outcome.missing.add(module)
                return
            # The traceback from the page's own line on, without the harness's frame.
            frames = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
            self.fail(
                block,
                "python block raised (later python blocks of the page not run):\n"
                + "".join(frames),
            )
            return
        self.outcome.counts["python"] += 1
        if following is not None and following.language == "text" and not following.before.strip():
            self.outcome.counts["outputs"] += 1
            if not matches(following.body, out.getvalue()):
                self.fail(block, "python output differs\n" + diff(following.body, out.getvalue()))

    def doctest(self, block: Block) -> None:
        """Run a python block written as an interactive session, as a doctest."""
        parser = doctest.DocTestParser()
        test = parser.get_doctest(
            block.body, self.namespace, f"{self.name}:{block.line}", str(self.page), block.line
        )
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        report = io.StringIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", immunokb.DocumentWarning)
            result = runner.run(test, out=report.write, clear_globs=False)
        self.namespace.update(test.globs)  # the test ran in a copy of the namespace
        self.outcome.counts["python"] += 1
        self.outcome.counts["outputs"] += result.attempted
        if result.failed:
            self.fail(block, "interactive example differs\n" + report.getvalue())

    def run_commands(
        self, block: Block, commands: list[Command]
    ) -> tuple[list[Command], list[tuple[str, list[int]]]]:
        """Run a block's runnable commands in one shell session: them and their results.

        Nothing is run (and nothing returned) when a command is neither run nor
        skipped by rule, or when the session fails as a whole; both are recorded as
        failures of the block.
        """
        if self.unknown(commands):
            return [], []
        runnable = [c for c in commands if classify(c.text) == "run"]
        self.outcome.counts["skipped commands"] += len(commands) - len(runnable)
        if not runnable:
            return [], []
        results = run_session(runnable, self.workdir, self.env)
        if isinstance(results, str):
            self.fail(block, results)
            return [], []
        self.outcome.counts["commands"] += len(runnable)
        return runnable, results

    def console(self, block: Block) -> None:
        """Run a console block's commands and compare each one's output."""
        commands, problem = console_commands(block)
        if problem is not None:
            self.fail(block, f"console block: {problem}")
            return
        runnable, results = self.run_commands(block, commands)
        for index, (command, (output, statuses)) in enumerate(zip(runnable, results, strict=True)):
            if not matches(command.expected, output):
                self.fail(
                    command,
                    f"`$ {command.text}` printed something else\n" + diff(command.expected, output),
                )
            following = runnable[index + 1] if index + 1 < len(runnable) else None
            if any(statuses) and not _shows_status(following):
                self.fail(
                    command,
                    f"`$ {command.text}` exited with status {statuses} and the page does not "
                    "show it with `$ echo $?` (or `$ echo ${PIPESTATUS[0]}`) right after",
                )

    def bash(self, block: Block) -> None:
        """Run a bash block's commands; each must exit with status 0."""
        runnable, results = self.run_commands(block, bash_commands(block))
        for command, (output, statuses) in zip(runnable, results, strict=True):
            if any(statuses):
                self.fail(command, f"`{command.text}` exited with status {statuses}:\n{output}")

    def unknown(self, commands: list[Command]) -> bool:
        """Report the commands the harness does not know whether to run."""
        found = [c for c in commands if classify(c.text) == "unknown"]
        for command in found:
            program = (_words(command.text).split() or [command.text])[0]
            self.fail(
                command,
                f"command {program!r} is neither run nor skipped by the docs examples "
                "harness: add it to RUN or SETUP in tests/docs_examples.py",
            )
        return bool(found)


def wrappers(directory: Path) -> Path:
    """Write ``immunokb`` and ``python`` commands that run this interpreter; the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    scripts = {
        "immunokb": f'exec "{sys.executable}" -m immunokb "$@"\n',
        "python": f'exec "{sys.executable}" "$@"\n',
        "python3": f'exec "{sys.executable}" "$@"\n',
    }
    for name, body in scripts.items():
        path = directory / name
        path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
        path.chmod(0o755)
    return directory
