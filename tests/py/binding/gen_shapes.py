"""Seeded generator of call shapes gen.py and gen_types.py do not make: ``CosConfig(...)`` with
any keyword of any type (ints, floats, bytes, None, containers, odd strings, ``str``
subclasses, objects whose ``__bool__``/``__str__``/``__format__`` misbehave or raise),
``set_ip_port``/``set_credential`` with such values, ``CredentialInstance`` objects whose
properties change between reads (or raise, or are falsy), and dict keys whose ``__hash__`` or
``__eq__`` misbehave (``RandomHash`` is not generated: whether a dict finds it again depends
on every hash asked before; see test_shapes.py). Not generated, known differences (see the
README): lone surrogates in config values, a ``Region`` whose own ``==`` differs from its
text's. Cases have ``gen.generate_case``'s shape (run with ``gen.evaluate``),
except that ``"config"`` may hold a ``"CredentialInstance"`` made fresh for each run by
``_instance`` (``("counter", ...)`` specs), so the two runs see the same sequence of values.
"""

from __future__ import annotations

import decimal
import enum
import random

from gen import Draws
from gen_types import Conf, Fmt, Low, Text

__all__ = ["evaluate_shape", "generate_shapes", "shape_case"]


class Falsy(str):
    """A ``str`` subclass that is falsy although it has text."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"

    def __bool__(self):
        return False

    def __len__(self):
        return 0


class Boom:
    """An object whose ``str()``, format and truthiness raise."""

    def __bool__(self):
        raise RuntimeError("bool")

    def __str__(self):
        raise RuntimeError("str")

    def __format__(self, spec):
        raise RuntimeError("format")


class Num(int, enum.Enum):
    """An ``(int, Enum)``: not an ``IntEnum``, its ``str()`` and format differ from ``int``'s."""

    PORT = 8080


class RandomHash(str):
    """A ``str`` subclass whose hash changes at every call: a dict cannot find it again."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"

    _n = 0

    def __hash__(self):
        RandomHash._n += 1
        return RandomHash._n


class NeverEqual(str):
    """A ``str`` subclass equal to nothing, itself included (its hash is its text's)."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = str.__hash__


class ShoutingEncode(str):
    """A ``str`` subclass whose ``encode`` gives other bytes than its text."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"

    def encode(self, *a, **k):
        return str.upper(self).encode(*a, **k)


ODD_TEXT = ["", " ", "ap-beijing", "cos.ap-beijing", "http", "https", "HTTP", "cn-north", "cossh", "1250000000",
            "a.example", "10.0.0.1", "8080", "AKIDodd", "ü", "a\n", "x/y", "True", "None", "0", "-1"]
ODD_VALUES = [None, 0, 1, -1, 8080, 1.5, 0.0, float("nan"), True, False, b"", b"http", b"ap-beijing", b"\xff",
              bytearray(b"x"), [], ["a"], {}, {"a": 1}, (), ("a", "b"), decimal.Decimal("1"), Num.PORT, object,
              Conf.HTTP, Conf.COS_REGION, Conf.REGION, Conf.ENDPOINT, Conf.IP, Conf.PORT, Conf.APPID, Conf.ID,
              Fmt("http"), Fmt("ap-beijing"), Fmt("cos.ap-beijing"), Text("https"), Falsy("ap-beijing"),
              Falsy("AKIDf"), Low("https"), ShoutingEncode("AKIDshout"), NeverEqual("http")]
KEYWORDS = ["Appid", "Region", "SecretId", "SecretKey", "Token", "Scheme", "Timeout", "Access_id", "Access_key",
            "Secret_id", "Secret_key", "Endpoint", "IP", "Port", "Anonymous", "UA", "Proxies", "Domain",
            "ServiceDomain", "KeepAlive", "PoolConnections", "PoolMaxSize", "AllowRedirects", "SignHost",
            "EndpointCi", "EndpointPic", "EnableOldDomain", "EnableInternalDomain", "SignParams",
            "AutoSwitchDomainOnRetry", "VerifySSL", "SSLCert"]


class Counter:
    """A CredentialInstance whose ``secret_id``/``secret_key`` give the next of their values at
    every read (the last one repeats); ``truthy`` lists what ``bool()`` gives in turn."""

    def __init__(self, ids, keys, truthy=(True,), token=None):
        self._ids, self._keys, self._truthy = list(ids), list(keys), list(truthy)
        self.token = token
        self.reads = []

    @staticmethod
    def _next(seq):
        return seq.pop(0) if len(seq) > 1 else seq[0]

    @property
    def secret_id(self):
        v = self._next(self._ids)
        if isinstance(v, Exception):
            raise v
        return v

    @property
    def secret_key(self):
        v = self._next(self._keys)
        if isinstance(v, Exception):
            raise v
        return v

    def __bool__(self):
        return self._next(self._truthy)


def _instance(spec):
    """A fresh CredentialInstance from a picklable spec."""
    kind, args = spec
    if kind == "counter":
        return Counter(*args)
    raise ValueError(kind)


class _G(Draws):
    def value(self):
        return self.pick(ODD_TEXT) if self.p(0.5) else self.pick(ODD_VALUES)

    def config(self):
        cfg = {}
        if self.p(0.7):
            cfg["SecretId"], cfg["SecretKey"] = "AKIDshape", "shapekey"
        if self.p(0.7):
            cfg["Region"] = "ap-beijing"
        for _ in range(self.r.choice([1, 1, 2, 3, 5])):
            cfg[self.pick(KEYWORDS)] = self.value()
        if self.p(0.15):
            cfg.pop("SecretId", None)
            cfg.pop("SecretKey", None)
            cfg["CredentialInstance"] = ("counter", self.counter())
        return cfg

    def counter(self):
        ids = [self.pick(["AKIDc1", "AKIDc2", Fmt("AKIDf"), b"AKIDb", 7, None, " AKIDsp"])
               for _ in range(self.r.randint(1, 4))]
        keys = [self.pick(["k1", "k2", b"kb", None, 5]) for _ in range(self.r.randint(1, 4))]
        if self.p(0.1):
            ids.insert(self.r.randint(0, len(ids) - 1), AttributeError("secret_id"))
        truthy = [self.p(0.85) for _ in range(self.r.randint(1, 4))]
        return (ids, keys, truthy, self.pick([None, "tok"]))

    def headers(self):
        h = {}
        for _ in range(self.r.choice([0, 1, 2, 3])):
            name = self.pick(["x-cos-a", "Content-Type", "host", "x-ci-b"])
            cls = self.pick([str, str, NeverEqual, ShoutingEncode, Fmt])
            h[cls(name)] = self.pick(["v", ShoutingEncode("v"), Fmt("w"), NeverEqual("n"), 5])
        return h

    def call(self):
        name = self.r.choices(["get_auth", "get_presigned_url", "get_presigned_download_url", "get_object_url",
                               "uri", "get_host"], [30, 30, 10, 15, 10, 5])[0]
        kw = {}
        if name in ("get_auth", "get_presigned_url", "get_presigned_download_url", "get_object_url"):
            kw["Bucket"] = self.pick(["b-1250000000", "b", Conf.SHORT, NeverEqual("b"), ShoutingEncode("b")])
            kw["Key"] = self.pick(["k", "/k", ShoutingEncode("k"), ShoutingEncode("/k"), NeverEqual("/k"),
                                   Falsy("k"), Low("k")])
        if name in ("get_auth", "get_presigned_url"):
            kw["Method"] = self.pick(["GET", "put", Low("PUT"), NeverEqual("GET"), ShoutingEncode("get")])
        if name in ("get_auth", "get_presigned_url", "get_presigned_download_url"):
            if self.p(0.5):
                kw["Headers"] = self.headers()
            if self.p(0.5):
                kw["Params"] = self.headers()
        if name == "uri":
            kw = {"bucket": self.pick([None, "b"]), "path": self.pick([None, "k", "/k"])}
            if self.p(0.3):
                kw["useAppid"] = True
        if name == "get_host":
            kw = {"Bucket": self.pick([None, "b"]), "Appid": self.pick([None, "125", Num.PORT, Falsy("1")])}
        return name, kw


def shape_case(rng):
    """One case drawn from ``rng``."""
    g = _G(rng)
    cfg = g.config()
    setup = []
    for _ in range(g.r.choice([0, 0, 1, 2])):
        if g.p(0.5):
            setup.append(("set_ip_port", [g.value(), g.value()] if g.p(0.7) else [g.value()]))
        else:
            setup.append(("set_credential", [g.value(), g.value()] + ([g.value()] if g.p(0.7) else [])))
    name, kw = g.call()
    now = rng.randint(1_500_000_000, 1_900_000_000)
    return {"config": cfg, "setup": setup, "call": name, "args": [], "kwargs": kw, "now": now}


def generate_shapes(seed, n):
    """``n`` cases of ``shape_case`` from ``seed``."""
    rng = random.Random(seed)
    return [shape_case(rng) for _ in range(n)]


def evaluate_shape(mod, case):
    """``gen.evaluate`` with the case's CredentialInstance made fresh for this run."""
    from gen import evaluate

    cfg = dict(case["config"])
    if isinstance(cfg.get("CredentialInstance"), tuple) and cfg["CredentialInstance"][0] == "counter":
        cfg["CredentialInstance"] = _instance(cfg["CredentialInstance"])
    return evaluate(mod, {**case, "config": cfg})
