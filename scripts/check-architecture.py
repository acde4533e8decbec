#!/usr/bin/env python3
"""Checks the shape of src/: imports point one way, and files stay small.

Reads every Rust file under src/, works out which other files each one
imports from (`use` lines and paths written inline, re-exports followed to
where the item is defined), then fails when:

- a file imports from a higher layer (docs/architecture.md has the layers);
- two or more files import each other, directly or round a circle;
- a file is longer than MAX_LINES and is not a named exception.

`make test` runs it; run it alone with `python3 scripts/check-architecture.py`,
or add `--graph` to print every file's imports.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

# From the top (the process) down to the leaves: a file may import from its
# own layer and the ones below it, never from one above.
LAYERS = [
    ("main", ["main.rs"]),
    ("server", ["lib.rs", "server/", "cli/"]),
    ("app", ["app.rs"]),
    ("pages", ["pages/"]),
    ("components", ["components/"]),
    ("api", ["api/"]),
    ("context", ["context/"]),
    ("accounts", ["accounts/"]),
    ("error", ["error/"]),
    ("leaves", ["validation/", "page_data.rs", "json.rs", "brand.rs", "time.rs"]),
]

MAX_LINES = 400
# Files allowed past MAX_LINES: one job each, which splitting would scatter.
LONG_FILES: dict[str, str] = {}


def layer_of(rel: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if rel == prefix or (prefix.endswith("/") and rel.startswith(prefix)):
                return index
    raise SystemExit(f"{rel}: in no layer; add it to LAYERS in {Path(__file__).name}")


def module_path(rel: str) -> tuple[str, ...]:
    """The module path of a file: src/accounts/mod.rs is ("accounts",)."""
    if rel in ("lib.rs", "main.rs"):
        return ()
    parts = rel[: -len(".rs")].split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def strip_comments_and_strings(text: str) -> str:
    """Blanks out comments, string and char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if text[i] == "\n" else "")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:]) and not re.match(r"\w", text[i - 1 : i] or " "):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:]):
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            out.append("' '")
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use_tree(tree: str) -> list[list[str]]:
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]] (aliases dropped)."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+\w+", "", tree))

    def parse(s: str) -> list[list[str]]:
        depth = 0
        for index, ch in enumerate(s):
            if ch == "{":
                if depth == 0:
                    prefix = [p for p in s[:index].split("::") if p]
                    inner = s[index + 1 : s.rindex("}")]
                    return [prefix + rest for part in split_top(inner) for rest in parse(part)]
                depth += 1
            elif ch == "}":
                depth -= 1
        return [[p for p in s.split("::") if p]] if s else [[]]

    return parse(tree)


def split_top(s: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, ch in enumerate(s):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(s[start:index])
            start = index + 1
    parts.append(s[start:])
    return [p for p in parts if p.strip()]


USE = re.compile(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
INLINE_PATH = re.compile(r"(?<![\w:])((?:crate|super|self|leptos_accounts)(?:::\w+)+)")
INLINE_MOD = re.compile(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*\{")


class Crate:
    def __init__(self) -> None:
        self.files: dict[tuple[str, ...], str] = {}
        for path in sorted(SRC.rglob("*.rs")):
            rel = path.relative_to(SRC).as_posix()
            if rel != "main.rs":
                self.files[module_path(rel)] = rel
        self.text = {
            rel: strip_comments_and_strings((SRC / rel).read_text())
            for rel in list(self.files.values()) + ["main.rs"]
        }
        # Re-exports: module -> name -> the absolute path it stands for.
        self.reexports: dict[tuple[str, ...], dict[str, list[str]]] = {}
        for module, rel in self.files.items():
            names: dict[str, list[str]] = {}
            for match in USE.finditer(self.text[rel]):
                if not match.group(1) or not match.group(1).startswith("pub"):
                    continue
                for path in expand_use_tree(match.group(2)):
                    absolute = self.absolute(module, path, rel)
                    if absolute and path[-1] not in ("*", "self"):
                        names[path[-1]] = absolute
            self.reexports[module] = names

    def children(self, module: tuple[str, ...]) -> set[str]:
        return {m[-1] for m in self.files if len(m) == len(module) + 1 and m[: len(module)] == module}

    def absolute(self, module: tuple[str, ...], path: list[str], rel: str) -> list[str] | None:
        """An absolute module path for `path` as written in `module`, or None
        when it names another crate."""
        if not path:
            return None
        head, rest = path[0], path[1:]
        # The binary (main.rs) names the library `leptos_accounts`.
        if head == "leptos_accounts" or (head == "crate" and rel != "main.rs"):
            return list(rest)
        if head == "self":
            return list(module) + rest
        if head == "super":
            base = list(module)
            while path and path[0] == "super":
                base = base[:-1]
                path = path[1:]
            return base + path
        if head in self.children(module) and rel != "main.rs":
            return list(module) + path
        return None

    def resolve(self, absolute: list[str], seen: int = 0) -> str | None:
        """The file that defines what `absolute` names."""
        module: tuple[str, ...] = ()
        index = 0
        while index < len(absolute) and module + (absolute[index],) in self.files:
            module += (absolute[index],)
            index += 1
        if index < len(absolute) and seen < 10:
            target = self.reexports.get(module, {}).get(absolute[index])
            if target is not None:
                return self.resolve(target + absolute[index + 1 :], seen + 1)
        return self.files.get(module)

    def imports(self, rel: str) -> set[str]:
        module = module_path(rel)
        text = self.text[rel]
        found: set[str] = set()
        # Inline modules (`mod tests { … }`) are children of this file: their
        # `super` is this file's module.
        blocks = [(0, len(text), module)]
        for match in INLINE_MOD.finditer(text):
            start = match.end()
            depth, end = 1, start
            while end < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            blocks.append((start, end, module + (match.group(1),)))
        for start, end, block_module in blocks:
            body = text[start:end]
            if block_module is module:
                # The file's own body, without its inline modules.
                for inner_start, inner_end, _ in blocks[1:]:
                    body = body[:inner_start] + " " * (inner_end - inner_start) + body[inner_end:]
            paths: list[list[str]] = []
            for match in USE.finditer(body):
                paths.extend(expand_use_tree(match.group(2)))
            body_without_use = USE.sub("", body)
            paths.extend(m.split("::") for m in INLINE_PATH.findall(body_without_use))
            children = self.children(block_module)
            for child in children:
                for match in re.finditer(rf"(?<![\w:]){child}::(\w+)", body_without_use):
                    paths.append([child, match.group(1)])
            for path in paths:
                if path and path[-1] == "*":
                    path = path[:-1]
                absolute = self.absolute(block_module, path, rel)
                if absolute is None:
                    continue
                target = self.resolve(absolute)
                if target and target != rel:
                    found.add(target)
        return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    crate = Crate()
    graph = {rel: crate.imports(rel) for rel in crate.text}
    problems: list[str] = []
    for rel, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) < layer_of(rel):
                problems.append(
                    f"src/{rel} ({LAYERS[layer_of(rel)][0]}) imports from src/{target} "
                    f"({LAYERS[layer_of(target)][0]}), a higher layer"
                )
    for component in cycles(graph):
        inside = "; ".join(
            f"{rel} -> {', '.join(sorted(t for t in graph[rel] if t in component))}"
            for rel in component
        )
        problems.append(f"import circle between {len(component)} files: {inside}")
    for rel in sorted(crate.text):
        lines = (SRC / rel).read_text().count("\n")
        if lines > MAX_LINES and rel not in LONG_FILES:
            problems.append(f"src/{rel} has {lines} lines (at most {MAX_LINES}); split it along a seam")
    if "--graph" in sys.argv:
        for rel, targets in sorted(graph.items()):
            print(f"{rel} [{LAYERS[layer_of(rel)][0]}] -> {', '.join(sorted(targets))}")
    for problem in problems:
        print(f"architecture: {problem}", file=sys.stderr)
    if problems:
        print(f"architecture: {len(problems)} problems (see docs/architecture.md)", file=sys.stderr)
        return 1
    print(f"architecture: {len(graph)} files, imports point one way, no circles, none too long")
    return 0


if __name__ == "__main__":
    sys.exit(main())
