"""scripts/check_layout.py finds what it is meant to find, on small made-up trees."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_layout.py"


def tree(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def run(root: Path):
    r = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True)
    return r.returncode, r.stdout


def test_one_way_modules_pass(tmp_path):
    root = tree(tmp_path, {
        "crates/a/src/lib.rs": "mod low;\nmod high;\n",
        "crates/a/src/low.rs": "//! See [`crate::high`] (a doc link, not an import).\npub fn f() {}\n",
        "crates/a/src/high.rs": "use crate::low::f;\n",
    })
    code, out = run(root)
    assert code == 0, out
    assert "layout: a: 3 modules, no circle" in out


def test_circle_through_grouped_use_fails(tmp_path):
    root = tree(tmp_path, {
        "crates/a/src/lib.rs": "mod x;\nmod y;\nmod z;\n",
        "crates/a/src/x.rs": "use super::{\n    y::g,\n};\n",
        "crates/a/src/y.rs": "use crate::z::h;\n",
        "crates/a/src/z/mod.rs": "pub fn h() { crate::x::k() }\n",
    })
    code, out = run(root)
    assert code == 1
    assert "layout: a: module circle x -> y -> z -> x" in out


def test_waiver_outside_binding_fails_and_inside_passes(tmp_path):
    waiver = "#[allow(clippy::too_many_arguments)]\nfn f() {}\n"
    root = tree(tmp_path, {
        "crates/cos-sign-py/src/lib.rs": waiver,
        "crates/b/src/lib.rs": "fn g() {}\n",
    })
    assert run(root)[0] == 0
    tree(root, {"crates/b/src/lib.rs": waiver})
    code, out = run(root)
    assert code == 1
    assert "layout: crates/b/src/lib.rs: a too_many_arguments waiver outside the binding" in out
