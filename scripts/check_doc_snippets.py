#!/usr/bin/env python3
"""Checks that every Swift code block in the DocC articles is compiled and run by a test.

In an article (Sources/*/*.docc/**/*.md) or README.md a Swift block is preceded by a marker line:

    <!-- snippet: tensors-transpose -->
    ```swift
    let t = x.transposed(0, 1)   // [3, 2]
    ```

and a test under Tests/*DocumentationTests/ holds the same lines between two comments:

        // snippet: tensors-transpose
        let t = x.transposed(0, 1)   // [3, 2]
        // snippet-end

The check fails when a Swift block has no marker, a marker names no test region, a region's
text (with its common indentation removed) differs from the block by a single character, a
name is used twice, or a test region is used by no article. Exit status 1 with one line per
problem; 0 and a one-line summary otherwise.

With --write, a block that differs from its test region is rewritten from the test (the test is
the code that runs, so it is the one source; use this after `swift format` reflows a test).

    python3 scripts/check_doc_snippets.py [--root DIR] [--write]
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import textwrap

MARKER = re.compile(r"^<!--\s*snippet:\s*([A-Za-z0-9_.-]+)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^```\s*swift\s*$")
TEST_OPEN = re.compile(r"^\s*// snippet: ([A-Za-z0-9_.-]+)\s*$")
TEST_CLOSE = re.compile(r"^\s*// snippet-end\s*$")


def article_snippets(path: pathlib.Path, problems: list[str]) -> dict[str, tuple[str, int]]:
    """name → (code, line) for the marked Swift blocks of one article."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, tuple[str, int]] = {}
    pending: tuple[str, int] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        if marker:
            pending = (marker.group(1), i + 1)
            i += 1
            continue
        if line.startswith("```"):
            is_swift = bool(FENCE_OPEN.match(line))
            start = i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                problems.append(f"{path}:{start + 1}: code block is never closed")
            if is_swift:
                if pending is None:
                    problems.append(f"{path}:{start + 1}: Swift block without a '<!-- snippet: NAME -->' line before it")
                else:
                    name, marker_line = pending
                    if marker_line != start:
                        problems.append(f"{path}:{marker_line}: snippet marker '{name}' is not directly above its block")
                    if name in found:
                        problems.append(f"{path}:{marker_line}: snippet '{name}' is used twice in this article")
                    found[name] = ("\n".join(body), start + 1)
            elif pending is not None:
                problems.append(f"{path}:{pending[1]}: snippet marker '{pending[0]}' stands before a non-Swift block")
            pending = None
        i += 1
    if pending is not None:
        problems.append(f"{path}:{pending[1]}: snippet marker '{pending[0]}' has no block after it")
    return found


def test_regions(path: pathlib.Path, problems: list[str]) -> dict[str, tuple[str, int]]:
    """name → (dedented code, line) for the snippet regions of one test file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, tuple[str, int]] = {}
    i = 0
    while i < len(lines):
        opening = TEST_OPEN.match(lines[i])
        if opening:
            name, start = opening.group(1), i + 1
            i += 1
            body = []
            while i < len(lines) and not TEST_CLOSE.match(lines[i]):
                if TEST_OPEN.match(lines[i]):
                    problems.append(f"{path}:{i + 1}: snippet region inside region '{name}'")
                body.append(lines[i])
                i += 1
            if i == len(lines):
                problems.append(f"{path}:{start}: snippet region '{name}' has no '// snippet-end'")
            if name in found:
                problems.append(f"{path}:{start}: snippet region '{name}' appears twice")
            found[name] = (textwrap.dedent("\n".join(body)), start)
        elif TEST_CLOSE.match(lines[i]):
            problems.append(f"{path}:{i + 1}: '// snippet-end' without an opening '// snippet: NAME'")
        i += 1
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent, type=pathlib.Path)
    parser.add_argument("--write", action="store_true", help="rewrite differing article blocks from their tests")
    arguments = parser.parse_args()
    root = arguments.root
    rewrites: dict[pathlib.Path, list[tuple[int, str]]] = {}
    problems: list[str] = []

    articles = sorted(root.glob("Sources/*/*.docc/**/*.md"))
    # The README's Swift examples follow the same rule (their tests: Tests/AttendDocumentationTests/ReadmeTests.swift).
    readme = root / "README.md"
    documents = articles + ([readme] if readme.is_file() else [])
    snippets: dict[str, tuple[str, pathlib.Path, int]] = {}
    for article in documents:
        for name, (code, line) in article_snippets(article, problems).items():
            if name in snippets:
                problems.append(f"{article}:{line}: snippet '{name}' is also used in {snippets[name][1]}")
            snippets[name] = (code, article, line)

    regions: dict[str, tuple[str, pathlib.Path, int]] = {}
    for test in sorted(root.glob("Tests/*DocumentationTests/**/*.swift")):
        for name, (code, line) in test_regions(test, problems).items():
            if name in regions:
                problems.append(f"{test}:{line}: snippet region '{name}' is also in {regions[name][1]}")
            regions[name] = (code, test, line)

    for name, (code, article, line) in sorted(snippets.items()):
        if name not in regions:
            problems.append(f"{article}:{line}: snippet '{name}' has no '// snippet: {name}' region in Tests/*DocumentationTests")
            continue
        tested, test, test_line = regions[name]
        if tested != code and arguments.write:
            rewrites.setdefault(article, []).append((line, tested))
        elif tested != code:
            doc_lines, test_lines = code.splitlines(), tested.splitlines()
            where = next(
                (n for n, (a, b) in enumerate(zip(doc_lines, test_lines)) if a != b),
                min(len(doc_lines), len(test_lines)))
            shown_doc = doc_lines[where] if where < len(doc_lines) else "<end of block>"
            shown_test = test_lines[where] if where < len(test_lines) else "<end of region>"
            problems.append(
                f"{article}:{line + where + 1}: snippet '{name}' differs from {test}:{test_line + where + 1}\n"
                f"    article: {shown_doc}\n    test:    {shown_test}")
    for name, (_, test, line) in sorted(regions.items()):
        if name not in snippets:
            problems.append(f"{test}:{line}: snippet region '{name}' is shown in no article")

    for article, blocks in rewrites.items():
        lines = article.read_text(encoding="utf-8").splitlines()
        for fence, code in sorted(blocks, reverse=True):
            end = fence
            while not lines[end].startswith("```"):
                end += 1
            lines[fence:end] = code.splitlines()
        article.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"check_doc_snippets: rewrote {len(blocks)} block(s) in {article}")

    if not articles:
        problems.append(f"{root}: no DocC articles found under Sources/*/*.docc")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_doc_snippets: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_doc_snippets: {len(snippets)} snippets in {len(articles)} articles and the README match their tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
