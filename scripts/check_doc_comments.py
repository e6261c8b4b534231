#!/usr/bin/env python3
"""Lists every public declaration of the libraries that has no `///` doc comment.

Usage: python3 scripts/check_doc_comments.py [--list] [DIR ...]

Scans Sources/Attend, Sources/AttendReference, Sources/AttendModels and Sources/AttendVerification
(or the directories given) and prints `path:line: kind name` for each public or open declaration —
types, functions, initializers, subscripts, properties, typealiases, protocol requirements and
enum cases — whose line is not directly preceded by a `///` comment (attribute lines such as
`@inlinable` may sit in between), and every public function, initializer or subscript that
`throws` (not `rethrows`) whose comment has no `- Throws:` line (listed as `throws name`), and every
comment that starts with a callout such as `- Throws:` instead of a summary sentence (DocC then
shows the symbol with no abstract; listed as `summary name`). `--list` prints every such
declaration and exits 0.

Without `--list` the run fails (exit status 1) when a declaration lacks its comment and is not
named in scripts/doc_comment_gaps.txt (`path: keyword name` per line: the known gaps, in files
being rewritten elsewhere), and also when an entry there is documented now or no longer exists —
so the list can only shrink; delete such lines.

What counts as public: an explicit `public`/`open` modifier, a member without a modifier inside a
`public extension`, a requirement of a public protocol, a case of a public enum — each only when
every enclosing type is public too. Extensions themselves carry no documentation of their own
(DocC shows their members under the extended type) and are not checked.

Not scanned: Sources/AttendCLI (an executable: nothing in it is importable, so it has no public
API to document) and Sources/_AttendFuzzTargets (an underscored implementation target that only
the fuzz harnesses and the corpus replay import), and Sources/_AttendKernels (C).

The scanner is lexical: it blanks comments and string literals, then follows braces, so it knows
whether a line is at file scope, directly inside a type, or inside a body (where nothing is
public). `scripts/test` runs it.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = [
    "Sources/Attend",
    "Sources/AttendReference",
    "Sources/AttendModels",
    "Sources/AttendVerification",
]

TYPE_KEYWORDS = {"struct", "class", "enum", "actor", "protocol", "extension"}
CALLABLE = {"func", "init", "subscript"}
MEMBER_KEYWORDS = {"func", "init", "subscript", "var", "let", "case", "typealias", "associatedtype", "macro"}
MODIFIERS = {
    "public", "open", "internal", "private", "fileprivate", "package", "static", "final", "override",
    "mutating", "nonmutating", "convenience", "required", "lazy", "weak", "unowned", "indirect",
    "nonisolated", "dynamic", "prefix", "postfix", "infix", "optional", "consuming", "borrowing",
    "isolated", "distributed",
}
STRING_START = re.compile(r'(#*)("""|")')
ATTRIBUTE = re.compile(r"@\w+(\s*\([^()]*(\([^()]*\)[^()]*)*\))?")


def blank_comments_and_strings(text):
    """Returns `text` with every comment and string literal replaced by spaces (newlines kept),
    so braces and keywords inside them are not seen. Handles nested block comments, multi-line
    strings, raw strings (#"…"#) and string interpolation."""
    out = []
    i, n = 0, len(text)
    # Stack of contexts: "code" (inside an interpolation: parenthesis depth tracked) or a string.
    interp = []  # each entry: [paren depth, string-closer, raw hashes]

    def blank(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    def scan_string(i, closer, hashes):
        """Scans a string body from i; returns (index after the closer, or interpolation start)."""
        escape = "\\" + "#" * hashes
        while i < n:
            if text.startswith(escape + "(", i):
                return i, True
            if text.startswith(escape, i):
                out.append(blank(text[i : i + len(escape) + 1]))
                i += len(escape) + 1
                continue
            if text.startswith(closer + "#" * hashes, i):
                out.append(blank(closer + "#" * hashes))
                return i + len(closer) + hashes, False
            out.append("\n" if text[i] == "\n" else " ")
            i += 1
        return i, False

    def continue_string(i, closer, hashes):
        """Scans a string body from i; at an interpolation `\\(` it opens one and returns past it."""
        i, again = scan_string(i, closer, hashes)
        if again:
            interp.append([0, closer, hashes])
            escape_len = 1 + hashes + 1
            out.append(" " * escape_len)
            i += escape_len
        return i

    while i < n:
        c = text[i]
        if interp and c == ")" and interp[-1][0] == 0:
            _, closer, hashes = interp.pop()
            out.append(" ")
            i = continue_string(i + 1, closer, hashes)
            continue
        if interp and c == "(":
            interp[-1][0] += 1
        elif interp and c == ")":
            interp[-1][0] -= 1
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
            continue
        m = STRING_START.match(text, i) if c in "#\"" else None
        if m:
            hashes, closer = len(m.group(1)), m.group(2)
            out.append(blank(m.group(0)))
            i = continue_string(i + len(m.group(0)), closer, hashes)
            continue
        out.append(c)
        i += 1
    return "".join(out)


def declaration(line):
    """(modifiers, keyword, name) of a declaration starting on this cleaned line, or None."""
    s = line.strip()
    while True:
        m = ATTRIBUTE.match(s)
        if not m:
            break
        s = s[m.end() :].lstrip()
    modifiers = []
    while True:
        m = re.match(r"([A-Za-z_]+)(\s*\(\s*set\s*\))?\s*", s)
        if not m:
            return None
        word = m.group(1)
        rest = s[m.end() :]
        if word == "class" and re.match(r"(func|var|subscript|let)\b", rest):
            modifiers.append("class")
            s = rest
            continue
        if word in MODIFIERS and not m.group(2):
            modifiers.append(word)
            s = rest
            continue
        if word in MODIFIERS and m.group(2):  # private(set) and friends: the setter only
            s = rest
            continue
        if word in TYPE_KEYWORDS or word in MEMBER_KEYWORDS:
            name = re.match(r"[^\s:<({=]*", rest).group(0) or word
            return modifiers, word, name
        return None


def check_file(path):
    raw = path.read_text(encoding="utf-8")
    raw_lines = raw.split("\n")
    clean_lines = blank_comments_and_strings(raw).split("\n")
    missing = []
    # Context stack: each entry is (kind, public) where kind is "file", "type:<keyword>", "body".
    stack = [("file", True)]
    pending = None  # the declaration whose "{" comes next: ("type:<kw>", public) or ("body", False)
    for number, line in enumerate(clean_lines, start=1):
        kind, container_public = stack[-1]
        if kind != "body":
            decl = declaration(line)
            if decl:
                modifiers, keyword, name = decl
                explicit = next((m for m in modifiers if m in {"public", "open", "internal", "private",
                                                               "fileprivate", "package"}), None)
                if explicit in {"public", "open"}:
                    public = container_public
                elif explicit is None:
                    implicit = kind in {"type:protocol", "type:public-extension"} or (
                        kind == "type:enum" and keyword == "case")
                    public = container_public and implicit and kind != "file"
                else:
                    public = False
                if keyword == "extension":
                    pending = ("type:public-extension" if explicit in {"public", "open"} else "type:extension",
                               True)
                elif keyword in TYPE_KEYWORDS:
                    pending = ("type:" + keyword, public)
                else:
                    pending = ("body", False)
                if public and keyword != "extension":
                    signature = name + labels(clean_lines, number - 1, keyword) if keyword in CALLABLE else name
                    comment = doc_comment(raw_lines, number - 1)
                    if comment is None:
                        missing.append((number, keyword, signature, raw_lines[number - 1].strip()))
                    elif re.match(r"///\s*-\s", comment):
                        missing.append((number, "summary", signature, "its doc comment starts with a callout"
                                        " (`- Throws:` …), so DocC shows no abstract: write a summary line first"))
                    elif keyword in CALLABLE and throws(clean_lines, number - 1, keyword) and not re.search(
                        r"^\s*///\s*-\s*Throws:", comment, re.MULTILINE
                    ):
                        missing.append((number, "throws", signature, "its doc comment has no `- Throws:` line"))
        for c in line:
            if c == "{":
                if pending and stack[-1][0] != "body":
                    stack.append(pending)
                else:
                    stack.append(("body", False))
                pending = None
            elif c == "}":
                if len(stack) > 1:
                    stack.pop()
                pending = None
    return missing


def labels(clean_lines, index, keyword):
    """`(a:_:b:)`: the argument labels of the function, initializer or subscript declared from
    clean_lines[index], so that overloads have distinct names."""
    text, start, end = parameter_clause(clean_lines, index, keyword)
    if start < 0:
        return "()"
    parameters, depth, current = [], 0, ""
    for c in text[start + 1 : end]:
        if c in "([<":
            depth += 1
        elif c in ")]>":
            depth -= 1
        if c == "," and depth == 0:
            parameters.append(current)
            current = ""
        else:
            current += c
    if current.strip():
        parameters.append(current)
    names = []
    for parameter in parameters:
        head = parameter.split(":", 1)[0].split()
        label = head[0] if head else "_"
        names.append(("_" if keyword == "subscript" and len(head) < 2 else label) + ":")
    return "(" + "".join(names) + ")"


def parameter_clause(clean_lines, index, keyword):
    """(text, start, end) of the parenthesised parameter clause of the declaration at clean_lines[index]."""
    text = " ".join(clean_lines[index : index + 30])
    start = text.find("(", text.find(keyword))
    if start < 0:
        return text, -1, -1
    depth = 0
    for end in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            return text, start, end
    return text, start, len(text)


def throws(clean_lines, index, keyword):
    """Whether the function, initializer or subscript declared at clean_lines[index] throws
    (`rethrows` does not count: it throws only what its closure throws)."""
    text, start, end = parameter_clause(clean_lines, index, keyword)
    return start >= 0 and re.match(r"\s*(async\s+)?throws\b", text[end + 1 :]) is not None


def doc_comment(raw_lines, index):
    """The `///` lines directly above the declaration on raw_lines[index] (attribute and `#if`
    lines may sit in between), or None."""
    j = index - 1
    comment = []
    while j >= 0:
        s = raw_lines[j].strip()
        if s.startswith("///"):
            comment.append(s)
        elif comment:
            break
        elif s.startswith("@") and ATTRIBUTE.fullmatch(s.split("//")[0].strip() or "@x"):
            pass
        elif not (s.startswith("#if") or s.startswith("#else") or s.startswith("#elseif")):
            break
        j -= 1
    return "\n".join(reversed(comment)) if comment else None


GAPS = ROOT / "scripts" / "doc_comment_gaps.txt"


def known_gaps():
    if not GAPS.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in GAPS.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


def main(argv):
    list_only = "--list" in argv
    dirs = [a for a in argv if not a.startswith("--")] or DEFAULT_DIRS
    gaps = set() if list_only else known_gaps()
    missing, seen_gaps = 0, set()
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.swift")):
            for number, keyword, name, text in check_file(path):
                key = f"{path.relative_to(ROOT)}: {keyword} {name}"
                if key in gaps:
                    seen_gaps.add(key)
                    continue
                print(f"{path.relative_to(ROOT)}:{number}: {keyword} {name}: {text}")
                missing += 1
    stale = sorted(gaps - seen_gaps)
    for key in stale:
        print(f"{GAPS.relative_to(ROOT)}: '{key}' is documented now (or gone): delete the line")
    if missing:
        print(f"check_doc_comments: {missing} public declaration(s) whose /// doc comment is missing or incomplete "
              "(write it: a summary, the math, the shapes in and out, - Throws:, - SeeAlso:)", file=sys.stderr)
    if list_only:
        return 0
    if missing or stale:
        return 1
    print(f"check_doc_comments: every public declaration has a doc comment"
          f" ({len(gaps)} known gap(s) listed in {GAPS.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
