"""The typing stubs shipped in the wheel (.pyi, py.typed) describe the runtime: every method in
the stubs exists with the same parameter names, order and defaults."""

import ast
import importlib.resources
import inspect

import cos_sign
import cos_sign._cos_sign as native


def _stub(name):
    return ast.parse(importlib.resources.files("cos_sign").joinpath(name).read_text(encoding="utf-8"))


def test_py_typed_and_stubs_are_installed():
    files = importlib.resources.files("cos_sign")
    for name in ("py.typed", "__init__.pyi", "_cos_sign.pyi", "_exceptions.pyi"):
        assert files.joinpath(name).is_file(), name


def _stub_params(fn):
    a = fn.args
    names = [x.arg for x in a.args]
    defaults = [None] * (len(names) - len(a.defaults)) + [ast.literal_eval(d) for d in a.defaults]
    return [(n, d) for n, d in zip(names, defaults) if n != "self"]


def _runtime_params(obj):
    out = []
    for p in inspect.signature(obj).parameters.values():
        if p.name == "self":
            continue
        out.append((p.name, None if p.default is inspect.Parameter.empty else p.default))
    return out


def test_native_stubs_match_the_runtime():
    checked = 0
    for cls in _stub("_cos_sign.pyi").body:
        if not isinstance(cls, ast.ClassDef) or cls.name.startswith("_"):
            continue
        runtime = getattr(native, cls.name)
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name == "__getattr__":
                continue
            target = runtime if fn.name == "__init__" else getattr(runtime, fn.name)
            assert _runtime_params(target) == _stub_params(fn), f"{cls.name}.{fn.name}"
            checked += 1
    assert checked >= 11


def test_exported_names_are_stubbed():
    stub_all = next(node for node in _stub("__init__.pyi").body
                    if isinstance(node, ast.Assign) and node.targets[0].id == "__all__")
    names = set(ast.literal_eval(stub_all.value))
    assert names == set(cos_sign.__all__)
    assert all(hasattr(cos_sign, n) for n in names)
