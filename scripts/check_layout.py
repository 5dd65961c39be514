#!/usr/bin/env python3
"""Checks two layout rules of the workspace (issue 10) and exits 1 when one is broken.

1. No crate has a module circle: within each crate's src/, the top-level modules that one
   module names through `crate::` or `super::` (in code, not in comments) form no cycle.
2. No `clippy::too_many_arguments` waiver outside the Python binding (crates/cos-sign-py),
   whose methods take the SDK's keyword arguments as they are.

Usage: python3 scripts/check_layout.py [REPO]   (default: the repository holding this script)
"""

import re
import sys
from pathlib import Path

PATH_RE = re.compile(r"\b(?:crate|super)::([a-z_0-9]+)")
GROUP_RE = re.compile(r"\b(?:crate|super)::\{([^;]*?)\};", re.S)
GROUP_NAME_RE = re.compile(r"(?:^|[,{])\s*([a-z_0-9]+)")
WAIVER_ALLOWED = "crates/cos-sign-py/"


def code_of(path: Path) -> str:
    """The file's text without comment lines (doc links are not imports)."""
    return "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("//")
    )


def modules(src: Path) -> dict:
    """Top-level module name -> the code of all its files."""
    mods: dict = {}
    for f in sorted(src.rglob("*.rs")):
        top = f.relative_to(src).parts[0].removesuffix(".rs")
        mods[top] = mods.get(top, "") + "\n" + code_of(f)
    return mods


def edges(mods: dict) -> dict:
    names = set(mods) - {"lib", "main", "bin"}
    graph = {}
    for name, code in mods.items():
        used = set(PATH_RE.findall(code))
        for group in GROUP_RE.findall(code):
            used |= set(GROUP_NAME_RE.findall(group))
        graph[name] = sorted(used & names - {name})
    return graph


def cycle(graph: dict):
    """One cycle as a list of modules, or None (depth-first search with colours)."""
    state: dict = {}
    stack: list = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in graph.get(n, ()):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def main() -> int:
    repo = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    failures = 0
    crates = sorted(p for p in (repo / "crates").iterdir() if (p / "src").is_dir())
    for crate in crates:
        graph = edges(modules(crate / "src"))
        found = cycle(graph)
        if found:
            failures += 1
            print(f"layout: {crate.name}: module circle {' -> '.join(found)}")
        else:
            print(f"layout: {crate.name}: {len(graph)} modules, no circle")
    for f in sorted(repo.rglob("*.rs")):
        rel = f.relative_to(repo).as_posix()
        if "/target/" in f"/{rel}" or rel.startswith(WAIVER_ALLOWED):
            continue
        if "too_many_arguments" in code_of(f):
            failures += 1
            print(f"layout: {rel}: a too_many_arguments waiver outside the binding")
    print(f"layout: {len(crates)} crates checked, {failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
