"""scripts/bench_profile.py's diagnostic variants still apply to the core as it is: each
patch finds the one text it replaces (it stops the tool when the core moved on), and the
patched sources read as the variant says. Applied to copies; nothing is built."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("bench_profile", ROOT / "scripts" / "bench_profile.py")
bench_profile = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench_profile)

FILES = [
    "Cargo.toml",
    "crates/cos-sign-core/src/lib.rs",
    bench_profile.SIGN,
    bench_profile.TEXT,
]
# Cases as the http_strings example prints them (two of one shape apart from the path).
CASES = [
    {"name": "a", "path_len": 2, "params": 0, "headers": 1, "http": 'get\n/a\n\nhost=x"\\\u00e9\n'},
    {"name": "b", "path_len": 3, "params": 0, "headers": 1, "http": "get\n/bb\n\nhost=x\n"},
]


@pytest.fixture
def copy(tmp_path):
    for rel in FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def read(root, rel):
    return (root / rel).read_text(encoding="utf-8")


def test_no_utf8_allows_unsafe_and_skips_the_check(copy):
    bench_profile.no_utf8(copy)
    assert 'unsafe_code = "allow"' in read(copy, "Cargo.toml")
    assert "forbid(unsafe_code)" not in read(copy, "crates/cos-sign-core/src/lib.rs")
    text = read(copy, bench_profile.TEXT)
    assert "from_utf8_unchecked" in text
    assert "core::str::from_utf8(w)" not in text


@pytest.mark.parametrize("split", [False, True])
def test_http_hashes_each_case_as_given(copy, split):
    bench_profile.http(copy, CASES, split=split)
    sign = read(copy, bench_profile.SIGN)
    # One arm per case, its text as a byte literal (quote, backslash and UTF-8 escaped).
    assert '(2, 0, 1) => {' in sign and '(3, 0, 1) => {' in sign
    assert 'b"get\\x0a/a\\x0a\\x0ahost=x\\x22\\x5c\\xc3\\xa9\\x0a"' in sign
    assert ("h.update(&t[..1]); h.update(&t[1..]);" in sign) == split
    assert "let notes = if profiled {" in sign
    assert "if notes.is_none() && !profiled {" in sign


def test_two_variants_on_one_copy_stop_the_tool(copy):
    # Each variant starts from a clean tree; a second patch finds no anchor and stops.
    bench_profile.http(copy, CASES, split=False)
    with pytest.raises(SystemExit):
        bench_profile.http(copy, CASES, split=False)


def test_cases_of_one_shape_stop_the_tool(copy):
    with pytest.raises(SystemExit):
        bench_profile.http(copy, [CASES[0], dict(CASES[0], name="c")], split=False)


def test_rows_reads_the_bench_table():
    out = (
        "simple   hashes only   reused         78      5    236.3     41.2    205.9   1.15  "
        "1.06/ 1.14/ 1.16      -      -\n"
        "simple   authorization reused         78      5    292.4     41.2    206.0   1.42  "
        "1.41/ 1.63/ 1.88 MISSED      0\n"
        "noise line\n"
    )
    assert bench_profile.rows(out) == {
        "simple hashes-only": (236.3, 1.15),
        "simple authorization reused": (292.4, 1.42),
    }
