#!/usr/bin/env python3
"""Where a signature's time goes: the Rust bench (`benches/benches/sign.rs`, its ratio
table) built from the committed HEAD and from diagnostic variants of it, each variant
taking one piece of work away, run interleaved on one core; per row the fastest time and
ratio of each build.

The variants are never meant to be committed: they are built in a temporary git worktree
(the work tree is not touched), some with `unsafe` allowed, and some only hold for the
bench's own inputs. The bench checks every timed output against the text rendered
independently before it times anything, so a variant that changed an output stops the run.

    base         HEAD as committed
    no-utf8      the one-call API returns its text without `str::from_utf8` (unsafe
                 `from_utf8_unchecked`): what checking the written text costs
    http         each bench case's HttpString, printed beforehand by the `http_strings`
                 example, hashed as one piece (the sorts still run; the name lists are
                 rendered after the hash, as without notes): what building the HttpString
                 costs
    http-split   as `http`, the first byte hashed as a piece of its own: every 16-byte load
                 of the first block then spans two stores, as when the HttpString is built
                 piece by piece
    http+no-utf8 both

    python3 scripts/bench_profile.py [--runs 21] [--variants base,http] [--cpu 1]

x86_64 only (the variants patch that path). Run it on a quiet machine (nothing else on the core it pins); it takes a few minutes (one
build per variant, then runs x variants x 0.5 s).
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "target", "bench-profile")
SIGN = "crates/cos-sign-core/src/sign.rs"
TEXT = "crates/cos-sign-core/src/text.rs"

VARIANTS = ["base", "no-utf8", "http", "http-split", "http+no-utf8"]


def replace_once(root, path, old, new):
    """Replaces the one `old` in `path`; stops when it is not there once (HEAD moved on)."""
    full = os.path.join(root, path)
    with open(full, encoding="utf-8") as f:
        text = f.read()
    if text.count(old) != 1:
        sys.exit(f"bench_profile: {path} no longer has the text this variant patches:\n{old}")
    with open(full, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new))


def allow_unsafe(root):
    replace_once(root, "Cargo.toml", 'unsafe_code = "forbid"', 'unsafe_code = "allow"')
    replace_once(root, "crates/cos-sign-core/src/lib.rs", "#![forbid(unsafe_code)]", "")


def no_utf8(root):
    allow_unsafe(root)
    replace_once(
        root,
        TEXT,
        ".and_then(|w| core::str::from_utf8(w).ok())",
        ".map(|w| unsafe { core::str::from_utf8_unchecked(w) })",
    )


def rust_bytes(text):
    """`text` as a Rust byte string literal."""
    out = []
    for b in text.encode("utf-8"):
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return 'b"' + "".join(out) + '"'


def http(root, cases, split):
    """Hashes each case's HttpString as given (one piece, or its first byte apart)."""
    arms = []
    seen = set()
    for c in cases:
        key = (c["path_len"], c["params"], c["headers"])
        if key in seen:
            sys.exit(f"bench_profile: two cases share path length and counts {key}")
        seen.add(key)
        # A literal per arm: the copy has a length known when compiled, as a fixed piece's.
        lit = rust_bytes(c["http"])
        write = (
            f"{{ let t: &[u8] = {lit}; h.update(&t[..1]); h.update(&t[1..]); true }}"
            if split
            else f"{{ h.update({lit}); true }}"
        )
        arms.append(f"({key[0]}, {key[1]}, {key[2]}) => {write}")
    old = """        #[cfg(target_arch = "x86_64")]
        let notes = if req.params.len() + req.headers.len() > 2 {"""
    new = f"""        let profiled = match (req.path.len(), req.params.len(), req.headers.len()) {{
                {' '.join(a + ',' for a in arms)}
                _ => false,
            }};
        #[cfg(target_arch = "x86_64")]
        let notes = if profiled {{
            if !params.sort(req.params) || !headers.sort(req.headers) {{
                return Err(Error::TooManyParams {{ max: N }});
            }}
            None
        }} else if req.params.len() + req.headers.len() > 2 {{"""
    replace_once(root, SIGN, old, new)
    # The plain hashing after it runs only for requests the variant did not hash.
    replace_once(root, SIGN, "        if notes.is_none() {\n", "        if notes.is_none() && !profiled {\n")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build(root, env):
    """Builds the bench in `root`; the path of its binary."""
    out = run(
        [
            "cargo",
            "bench",
            "-p",
            "cos-sign-benches",
            "--bench",
            "sign",
            "--no-run",
            "--message-format=json",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
    ).stdout.decode()
    for line in out.splitlines():
        m = json.loads(line) if line.startswith("{") else {}
        if m.get("reason") == "compiler-artifact" and m.get("executable"):
            if m["target"]["name"] == "sign":
                return m["executable"]
    sys.exit("bench_profile: cargo built no bench binary")


def rows(output):
    """{row label: (time ns, ratio)} of one run's table."""
    found = {}
    for line in output.splitlines():
        t = line.split()
        if not t or t[0] not in ("simple", "typical", "unicode"):
            continue
        if t[1] == "hashes":
            label, rest = f"{t[0]} hashes-only", t[4:]
        else:
            label, rest = f"{t[0]} {t[1]} {t[2]}", t[3:]
        if len(rest) >= 6 and re.fullmatch(r"[0-9.]+", rest[2]):
            found[label] = (float(rest[2]), float(rest[5]))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="interleaved runs of each build")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--cpu", type=int, default=1 if (os.cpu_count() or 1) > 1 else 0)
    args = ap.parse_args()
    if platform.machine() not in ("x86_64", "AMD64"):
        sys.exit("bench_profile: the variants patch the core's x86_64 path; run it on x86_64")
    names = [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown or not names:
        sys.exit(f"bench_profile: unknown variants {unknown}; known: {VARIANTS}")

    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    cases = [
        json.loads(line)
        for line in run(
            ["cargo", "run", "-q", "--release", "-p", "cos-sign-benches", "--example", "http_strings"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
        )
        .stdout.decode()
        .splitlines()
    ]
    tree = tempfile.mkdtemp(prefix="cos-sign-profile-")
    binaries = {}
    try:
        run(["git", "worktree", "add", "-q", "--detach", tree, "HEAD"], cwd=ROOT)
        for name in names:
            run(["git", "checkout", "-q", "--", "."], cwd=tree)
            if "no-utf8" in name:
                no_utf8(tree)
            if name.startswith("http"):
                http(tree, cases, split=name == "http-split")
            print(f"building {name}", file=sys.stderr)
            keep = os.path.join(TARGET, f"sign-{name.replace('+', '-')}")
            shutil.copy2(build(tree, env), keep)
            binaries[name] = keep
    finally:
        run(["git", "worktree", "remove", "--force", tree], cwd=ROOT)

    prefix = []
    if shutil.which("taskset"):
        prefix += ["taskset", "-c", str(args.cpu)]
    if os.geteuid() == 0:
        prefix += ["nice", "-n", "-20"]
    best = {name: {} for name in names}
    for _ in range(args.runs):
        for name in names:
            out = run(
                prefix + [binaries[name], "--bench", "zzz"],
                env=dict(os.environ, COS_BENCH_ROUNDS="301"),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ).stdout.decode()
            for label, (t, r) in rows(out).items():
                old = best[name].get(label)
                if old is None or t < old[0]:
                    best[name][label] = (t, r)

    labels = list(best[names[0]])
    print(f"fastest of {args.runs} interleaved runs (each the bench's fastest of 301 rounds):")
    print(f"{'row':<32}" + "".join(f"{n:>18}" for n in names))
    for label in labels:
        cells = []
        for n in names:
            t, r = best[n].get(label, (float("nan"), float("nan")))
            cells.append(f"{t:>10.1f} ({r:.2f})")
        print(f"{label:<32}" + "".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
