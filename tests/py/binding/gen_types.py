"""Seeded generator of calls whose arguments are of the types the SDK accepts by accident:
``str`` subclasses (a ``(str, Enum)`` member, whose ``str()`` and format are not its text, in
every place the SDK formats a value: the host's bucket, endpoint, region, domain, IP, port and
scheme, the signed path, the SecretId, the appid, ``Method.lower()``; and in the places it
encodes or concatenates the text), ``int``
subclasses and other numbers for ``Expired`` (``Decimal``, ``Fraction``, ``IntEnum``), mappings
that are not dicts (``email.message.Message``, which lists a name twice, ``OrderedDict``, a
``dict`` subclass, ``CaseInsensitiveDict``, ``MappingProxyType``), sequences of pairs or names,
and keys of other types (``dict``, ``list``, ``bytearray``). Cases have the shape of
``gen.generate_case`` (run them with ``gen.evaluate``); ``auth_case`` makes ``CosS3Auth`` cases
(run with ``evaluate_auth``), signing a ``requests.PreparedRequest`` after the config changed.
"""

from __future__ import annotations

import collections
import decimal
import email.message
import enum
import fractions
import random
import types

from gen import Credential, Draws, frozen_time

__all__ = ["auth_case", "evaluate_auth", "generate", "generate_auth", "type_case"]


class Acl(str, enum.Enum):
    """A ``(str, Enum)``: ``str(Acl.PRIVATE)`` is ``'Acl.PRIVATE'``, its text ``'private'``."""

    PRIVATE = "private"
    ACL = "acl"
    HOST = "host"
    CLASS = "x-cos-storage-class"
    SLASH = "/k"


class Conf(str, enum.Enum):
    """Config values as a ``(str, Enum)``: where the SDK formats them, ``Conf.HTTP``..."""

    HTTP = "http"
    HTTPS = "https"
    COS_REGION = "cos.ap-beijing"
    LEGACY = "cn-north"
    REGION = "ap-guangzhou"
    ALIAS = "cossh"
    ENDPOINT = "cos.ap-beijing.myqcloud.com"
    DOMAIN = "cdn.example.com"
    IP = "10.0.0.1"
    PORT = "8080"
    APPID = "1250000000"
    ID = "AKIDenum"
    BUCKET = "b-1250000000"
    SHORT = "b"


class Fmt(str):
    """A ``str`` subclass whose format (``"{}".format``) and ``str()`` differ from its text and
    from each other, so that each place shows which of the three the SDK takes there."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"

    def __format__(self, spec):
        return "f-" + str.__str__(self)

    def __str__(self):
        return "s-" + str.__str__(self)


class Low(str):
    """A ``str`` subclass whose ``lower()`` gives a ``Fmt`` (the SDK formats it into the
    canonical string)."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"

    def lower(self):
        return Fmt(str.lower(self))


class Level(enum.IntEnum):
    """An ``IntEnum`` for ``Expired``."""

    SHORT = 60
    LONG = 3600


class Text(str):
    """A plain ``str`` subclass."""

    def __repr__(self):
        return f"{type(self).__name__}({str.__repr__(self)})"


class Dict(dict):
    """A ``dict`` subclass."""


def _message(pairs):
    m = email.message.Message()
    for k, v in pairs:
        m[k] = v
    return m


def _cidict(pairs):
    from requests.structures import CaseInsensitiveDict

    return CaseInsensitiveDict(pairs)


NAMES = ["x-cos-meta-a", "X-Cos-Meta-A", "x-cos-acl", "Content-Type", "content-type", "Host", "host",
         "User-Agent", "x-ci-a", "Range", "acl", "prefix", "a b", "ü", "", "Date"]
VALUES = ["v", "", "a b", "STANDARD", "中文", "50%", "x&y=z", " pad ", "bytes=0-1"]
KEYS = ["k", "/k", "a/b", "dir/", "ü", "a b", "./x", "//k", "%41"]
CONTAINERS = ["dict", "dict", "dict", "Dict", "OrderedDict", "Message", "CaseInsensitiveDict", "proxy",
              "pairs", "names", "str", "set"]


class _G(Draws):
    def text(self, pool, enums=tuple(Acl)):
        roll = self.r.random()
        s = self.pick(pool)
        if roll < 0.55:
            return s
        if roll < 0.75:
            return self.pick(enums)
        if roll < 0.85:
            return Text(s)
        if roll < 0.9:
            return s.encode("utf-8")
        return self.pick([5, None, True, 1.5, decimal.Decimal("2"), Level.SHORT, ("t", 1)])

    def pairs(self, pool):
        out = [(self.text(pool), self.text(VALUES)) for _ in range(self.r.choice([0, 1, 1, 2, 3, 4]))]
        if out and self.p(0.3):  # a name again, in another case or with another value
            k = out[0][0]
            if isinstance(k, str):
                k = self.pick([k, k.upper(), k.lower(), Text(k)])
            out.append((k, self.text(VALUES)))
        return out

    def container(self, pairs):
        kind = self.pick(CONTAINERS)
        if kind in ("Message", "CaseInsensitiveDict") and not all(isinstance(k, str) for k, _ in pairs):
            kind = "dict"
        if kind == "Message" and not all(isinstance(v, str) for _, v in pairs):
            kind = "OrderedDict"
        return {
            "dict": lambda: dict(pairs),
            "Dict": lambda: Dict(pairs),
            "OrderedDict": lambda: collections.OrderedDict(pairs),
            "Message": lambda: _message(pairs),
            "CaseInsensitiveDict": lambda: _cidict(pairs),
            "proxy": lambda: types.MappingProxyType(dict(pairs)),
            "pairs": lambda: list(pairs),
            "names": lambda: [k for k, _ in pairs],
            "str": lambda: self.pick(["", "x-cos-a", "host"]),
            "set": lambda: {k for k, _ in pairs if isinstance(k, (str, bytes, int))},
        }[kind]()

    def expired(self):
        return self.pick([300, 0, -5, True, Level.SHORT, Level.LONG, decimal.Decimal(600), decimal.Decimal("1.5"),
                          decimal.Decimal("-70"), fractions.Fraction(600, 2), fractions.Fraction(1, 3), 60.0,
                          "300", None, 1j, decimal.Decimal("NaN"), 10 ** 19, Text("5")])

    def key(self):
        roll = self.r.random()
        if roll < 0.7:
            return self.text(KEYS) if self.p(0.3) else self.pick(KEYS)
        if roll < 0.8:
            return self.pick([Acl.SLASH, Fmt("/k"), Fmt("k"), Fmt("/a b/ü"), Fmt("//k"), Text("/k")])
        return self.pick([{"a": 1}, {0: "/"}, ["a"], ("/", "k"), bytearray(b"k"), bytearray(b"/k"), bytearray(b""),
                          bytearray(b"\xff"), memoryview(b"k"), 0, 7, {"k"}, Text("/k")])

    def method(self):
        return self.pick(["GET", "put", Text("PUT"), Acl.ACL, b"GET", "Get", Low("PUT"), Low("Dël"), Fmt("GET")])

    def bucket(self):
        return self.pick(["b-1250000000", "b-1250000000", Text("b"), Conf.BUCKET, Conf.SHORT, Acl.ACL, Fmt("b"),
                          Fmt("b-1250000000"), Fmt("a/b")])

    def formatted(self, cfg):
        """Config values the SDK formats, as ``str`` subclasses (or bytes, formatted as
        ``b'...'`` where the SDK does not decode them)."""
        for name, pool in [
            ("Scheme", [Conf.HTTP, Conf.HTTPS, Fmt("http"), Text("https"), Fmt("ftp")]),
            ("Region", [Conf.COS_REGION, Conf.LEGACY, Conf.REGION, Conf.ALIAS, Fmt("cos.ap-beijing"),
                        Fmt("ap-beijing"), Fmt("sg")]),
            ("SecretId", [Conf.ID, Fmt("AKIDfmt"), Fmt("AKID&x=1"), Text("AKIDtext")]),
            ("Appid", [Conf.APPID, Fmt("1250000000"), Text("125")]),
        ]:
            if self.p(0.25):
                cfg[name] = self.pick(pool)
        roll = self.r.random()
        if roll < 0.15:
            cfg["Endpoint"] = self.pick([Conf.ENDPOINT, Fmt("cos.example.com"), b"cos.bytes.example"])
        elif roll < 0.3:
            cfg["Domain"] = self.pick([Conf.DOMAIN, Fmt("cdn.example.com"), b"cdn.bytes.example"])
            if self.p(0.3):
                cfg["Endpoint"] = self.pick([Conf.ENDPOINT, b"cos.bytes.example", Fmt("e.example")])
        elif roll < 0.4:
            cfg["IP"] = self.pick([Conf.IP, Fmt("10.0.0.2"), b"10.0.0.3"])
            if self.p(0.5):
                cfg["Port"] = self.pick([8080, Text("81"), Conf.PORT, Fmt("82")])
        if self.p(0.1):
            cfg["EndpointCi"] = self.pick([Conf.ENDPOINT, Fmt("ci.example.com")])


def type_case(rng):
    """One ``gen``-shaped case drawn from ``rng``."""
    g = _G(rng)
    cfg = {"SecretId": "AKIDtypes", "SecretKey": "typeskey", "Region": "ap-beijing"}
    if g.p(0.4):
        cfg["SignParams"] = g.pick([False, True, 0])
    if g.p(0.2):
        cfg["SignHost"] = g.pick([False, True])
    if g.p(0.1):
        cfg["Domain"] = g.pick(["cdn.example.com", "[x"])
    if g.p(0.3):
        g.formatted(cfg)
    setup = []
    if g.p(0.05):
        setup.append(("set_ip_port", [g.pick([Conf.IP, Fmt("10.0.0.9"), "10.0.0.8"]),
                                      g.pick([None, 80, Text("81"), Fmt("82")])]))
    if g.p(0.05):
        setup.append(("set_credential", [g.pick([Conf.ID, Fmt("AKIDset"), Fmt(" AKIDspace")]), "setkey", "tok"]))
    name = g.r.choices(["get_auth", "get_presigned_url", "get_presigned_download_url", "get_object_url", "uri",
                        "get_host"], [33, 37, 10, 12, 5, 3])[0]
    if name in ("uri", "get_host"):
        return _conf_call(g, rng, cfg, setup, name)
    kw = {"Bucket": g.bucket() if g.p(0.4) else "b-1250000000", "Key": g.key()}
    if name != "get_object_url":
        if name != "get_presigned_download_url":
            kw["Method"] = g.method()
        if g.p(0.5):
            kw["Expired"] = g.expired()
        if g.p(0.8):
            kw["Headers"] = g.container(g.pairs(NAMES))
        if g.p(0.8):
            kw["Params"] = g.container(g.pairs(NAMES))
        if g.p(0.2):
            kw["SignHost"] = g.pick([True, False, None])
    if g.p(0.05):
        kw["UseCiEndPoint"] = True
    now = rng.randint(1_500_000_000, 1_900_000_000) + g.pick([0, 0.5, 0.999999])
    return {"config": cfg, "setup": setup, "call": name, "args": [], "kwargs": kw, "now": now}


def _conf_call(g, rng, cfg, setup, name):
    """A ``CosConfig.uri`` or ``get_host`` case, with arguments the SDK formats."""
    if name == "uri":
        kw = {"bucket": g.bucket() if g.p(0.6) else None, "path": g.key() if g.p(0.6) else None}
        if g.p(0.3):
            kw["endpoint"] = g.pick([Conf.ENDPOINT, Fmt("e.example"), b"e.bytes.example", "e.example"])
        if g.p(0.2):
            kw["domain"] = g.pick([Conf.DOMAIN, Fmt("d.example"), b"d.bytes.example"])
        if g.p(0.3):
            kw["useAppid"] = True
    else:
        kw = {"Bucket": g.bucket() if g.p(0.7) else None}
        if g.p(0.5):
            kw["Appid"] = g.pick([Conf.APPID, Fmt("125"), b"12", "125"])
    now = rng.randint(1_500_000_000, 1_900_000_000)
    return {"config": cfg, "setup": setup, "call": name, "args": [], "kwargs": kw, "now": now}


def generate(seed, n):
    """``n`` cases of ``type_case`` from ``seed``."""
    rng = random.Random(seed)
    return [type_case(rng) for _ in range(n)]


# ---------------------------------------------------------------------------------------------
# CosS3Auth on a requests.PreparedRequest

def auth_case(rng):
    """A ``CosS3Auth`` case: config, the auth's arguments, what changes between making the auth
    object and calling it, and the request it signs."""
    g = _G(rng)
    cred = g.p(0.3)
    cfg = {"Region": "ap-beijing"}
    if cred:
        cfg["CredentialInstance"] = ("AKIDinst", "instkey", None)
    else:
        cfg["SecretId"], cfg["SecretKey"] = g.pick(["AKIDauth", "AKIDauth", Fmt("AKIDauth"), Conf.ID]), "authkey"
    for k, vals in [("SignParams", [False, True]), ("SignHost", [False, True]), ("Anonymous", [True, False])]:
        if g.p(0.2):
            cfg[k] = g.pick(vals)
    later = g.pick([None, None, "set_credential", "instance"])
    args = {"key": g.pick([None, "", "k", "/k", "a b/ü", b"k", Text("k"), Acl.SLASH, Fmt("/k"), Fmt("k")]),
            "params": g.container(g.pairs(NAMES)) if g.p(0.5) else {},
            "expire": g.expired() if g.p(0.3) else 10000,
            "sign_host": g.pick([None, None, True, False, 0])}
    method = g.pick(["GET", "PUT", "post", "DELETE"])
    url = "https://b-1250000000.cos.ap-beijing.myqcloud.com/" + g.pick(["k", "a%20b", "k?acl", "k?x=1&y", ""])
    headers = {k: v for k, v in g.pairs(NAMES) if isinstance(k, str) and isinstance(v, (str, bytes))}
    body = g.pick([None, b"", b"abc", "text", {"form": "1"}])
    now = rng.randint(1_500_000_000, 1_900_000_000) + g.pick([0, 0.5])
    return {"config": cfg, "args": args, "later": later, "method": method, "url": url, "headers": headers,
            "body": body, "now": now}


def generate_auth(seed, n):
    """``n`` cases of ``auth_case`` from ``seed``."""
    rng = random.Random(seed)
    return [auth_case(rng) for _ in range(n)]


def evaluate_auth(mod, case):
    """``("ok", Authorization)`` or ``("error", class name)`` of the case's ``CosS3Auth`` from
    ``mod`` (``qcloud_cos``: ``qcloud_cos.cos_auth.CosS3Auth``)."""
    import requests

    if mod.__name__ == "qcloud_cos":
        from qcloud_cos.cos_auth import CosS3Auth
    else:
        CosS3Auth = mod.CosS3Auth  # noqa: N806
    cfg = dict(case["config"])
    inst = None
    if isinstance(cfg.get("CredentialInstance"), tuple):
        inst = cfg["CredentialInstance"] = Credential(*cfg["CredentialInstance"])
    with frozen_time(case["now"]):
        try:
            conf = mod.CosConfig(**cfg)
            auth = CosS3Auth(conf, **case["args"])
            if case["later"] == "set_credential":
                conf.set_credential("AKIDlater", "laterkey", "tok")
            elif case["later"] == "instance" and inst is not None:
                inst.secret_id, inst.secret_key = "AKIDchanged", "changedkey"
            req = requests.Request(case["method"], case["url"], headers=dict(case["headers"]),
                                   data=case["body"]).prepare()
            return ("ok", auth(req).headers["Authorization"])
        except Exception as e:  # noqa: BLE001 - the class is the result
            return ("error", type(e).__name__)
