"""Seeded adversarial generator of qcloud_cos signing calls, and the runner that
evaluates one call against an implementation (``qcloud_cos`` or ``cos_sign``).

A *case* is a plain dict::

    {"config": {CosConfig keyword arguments},   # "CredentialInstance": (id, key, token)
     "setup": [(method name, args), ...],        # set_ip_port / set_credential on the config
     "call": "get_auth" | "get_presigned_url" | "get_presigned_download_url"
             | "get_object_url" | "uri" | "get_host",
     "args": [...], "kwargs": {...},            # positional and keyword arguments of the call
     "now": float}                               # what time.time() returns during the call

Values may be any Python object the SDK accepts (bytes, int, None, float, ...), so a case is
not always JSON: print it with ``repr``.

``evaluate(module, case)`` runs the case with ``time.time`` frozen to ``now`` (patched on the
``time`` module, which is the one ``qcloud_cos.cos_auth`` reads) and returns ``("ok", value)``
or ``("error", exception class name)``.
"""

from __future__ import annotations

import contextlib
import random
import string
import time

__all__ = ["Credential", "Draws", "evaluate", "frozen_time", "generate", "generate_case", "SDK_ORDER"]

# Positional order of the SDK's call signatures (qcloud_cos 1.9.44).
SDK_ORDER = {
    "get_auth": ["Method", "Bucket", "Key", "Expired", "Headers", "Params", "SignHost", "UseCiEndPoint"],
    "get_presigned_url": ["Bucket", "Key", "Method", "Expired", "Params", "Headers", "UseCiEndPoint", "SignHost"],
    "get_presigned_download_url": ["Bucket", "Key", "Expired", "Params", "Headers", "UseCiEndPoint", "SignHost"],
    "get_object_url": ["Bucket", "Key"],
    "uri": ["bucket", "path", "endpoint", "domain", "useAppid"],
    "get_host": ["Bucket", "Appid"],
}


class Credential:
    """A CredentialInstance as the SDK expects it: attributes secret_id, secret_key, token."""

    def __init__(self, secret_id, secret_key, token=None):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token

    def __repr__(self):
        return f"Credential({self.secret_id!r}, {self.secret_key!r}, {self.token!r})"


@contextlib.contextmanager
def frozen_time(now):
    """Make ``time.time()`` return ``now`` (the SDK reads ``qcloud_cos.cos_auth.time.time``,
    which is this same function of the ``time`` module)."""
    real = time.time
    time.time = lambda: now
    try:
        yield
    finally:
        time.time = real


def _copy(v):
    # The SDK writes 'Authorization' into the Headers dict it is given: each implementation
    # gets its own copies so that one run cannot influence the other.
    if isinstance(v, dict):
        return dict(v)
    return v


def evaluate(mod, case, effects=False):
    """Run ``case`` against module ``mod``; ``("ok", value)`` or ``("error", class name)``.
    With ``effects``, a third item lists the dict arguments as the call left them (the SDK
    writes the Authorization into ``Headers``)."""
    passed = []
    result = _evaluate(mod, case, passed)
    if not effects:
        return result
    return result + ([dict(a) for a in passed if isinstance(a, dict)],)


def _evaluate(mod, case, passed):
    cfg = dict(case["config"])
    cred = cfg.get("CredentialInstance")
    if isinstance(cred, tuple):
        cfg["CredentialInstance"] = Credential(*cred)
    args = [_copy(a) for a in case.get("args", ())]
    kwargs = {k: _copy(v) for k, v in case.get("kwargs", {}).items()}
    passed.extend(args + list(kwargs.values()))
    with frozen_time(case["now"]):
        try:
            conf = mod.CosConfig(**cfg)
            for name, sargs in case.get("setup", ()):
                getattr(conf, name)(*sargs)
            call = case["call"]
            target = conf if call in ("uri", "get_host") else mod.CosS3Client(conf)
            return ("ok", getattr(target, call)(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - the class is the result
            return ("error", type(e).__name__)


# ---------------------------------------------------------------------------------------------
# pieces

REGIONS = ["ap-beijing", "ap-guangzhou", "ap-shanghai", "ap-beijing-1", "na-siliconvalley", "eu-frankfurt",
           "ap-singapore", "AP-Beijing", "ap-nanjing"]
ALIASES = ["cossh", "cosgz", "cosbj", "costj", "coscd", "cossgp", "coshk", "cosca", "cosger"]
LEGACY = ["cn-north", "cn-south", "cn-east", "cn-south-2", "cn-southwest", "sg"]
PREFIXED = ["cos.ap-beijing", "cos.ap-guangzhou", "cos-internal.ap-shanghai", "xcos.y", "ci.ap-beijing",
            "cos.accelerate", "my.cos.region"]
BAD_REGIONS = ["evil.com/", "ap-beijing/", "-ap", "ap-", "ap_beijing", "ap beijing", "a", ".ap", "ap-beijing\n",
               "ap\nbeijing", "ap-beijing?x", "ap-beijing#", "ap@evil", "ап-пекин", "ap-beijing:80", "",
               b"ap-beijing", 123, "cos.evil.com/x"]
ENDPOINTS = ["cos.accelerate.myqcloud.com", "cos.ap-beijing.myqcloud.com", "cos.ap-guangzhou.tencentcos.cn",
             "example.com:8080", "COS.Example.COM", "s3.local", b"cos.bytes.example", "evil.com/path", "a@b.c",
             "host:notaport", "[::1]", "[::1]:9000", "[bad", "bad]", "ｅxample.com", "ex\uff03ample.com"]
DOMAINS = ["static.example.com", "STATIC.Example.com", "cdn.example.com:8443", "", "user@host.example",
           "user:pw@host.example:99", "[::1]", "[2001:db8::1]:8080", "[bad", "a]b", "host/with/path",
           "host?q", "host#f", "exa\uff0fmple.com", "例子.测试", "UPPER.CASE.ÄÖÜ", b"bytes.example.com", 42,
           "h\tost.example", "trailing.dot.", "CDN\u1c89.example.com"]
IPS = ["10.0.0.1", "127.0.0.1", "192.168.1.20", "::1", "[::1]", "localhost", "", "HOST.EXAMPLE", b"10.1.2.3"]
PORTS = [None, 80, 443, 8080, "9000", 0, "x", -1]

WORDS = ["exampleobject", "a", "dir", "项目资料", "résumé", "photo.jpg", "data", "ß", "İstanbul", "ǅ", "ΣΑΣ",
         "日本語", "x"]
KEY_BITS = ["+", " ", "%", "%2F", "%20", "./", "../", "//", "/", ".", "..", "~", "-", "_", "?", "#", "&", "=",
            ";", ":", "@", "!", "*", "'", "(", ")", "[", "]", "{", "}", "|", "\\", "^", "`", '"', "<", ">",
            ",", "$", "\t", "\n", "\r", "\x00", "\x7f", "😀", "📊", "\u00a0", "\u3000", "\ufeff", "é", "e\u0301",
            "\U0001f600\u200d", "Ａ", "ⅷ", "ﬁ", "\u1c89", "\U00016ea0"]
SURROGATE = "\udc80"

ALLOWED = ["cache-control", "content-disposition", "content-encoding", "content-type", "content-md5",
           "content-length", "expect", "expires", "host", "if-match", "if-modified-since", "if-none-match",
           "if-unmodified-since", "origin", "range", "transfer-encoding", "pic-operations"]
PREFIXED_HEADERS = ["x-cos-storage-class", "x-cos-meta-Name", "x-cos-acl", "x-cos-traffic-limit", "x-ci-foo",
                    "x-cos-security-token", "x-cos-", "x-ci-", "x-cos-meta-ü", "x-cos-a/b", "x-cos-a b",
                    "x-cos-%41", "x-cos-meta-😀", "X-Cos-Grant-Read", "x-cos-meta-a=b&c"]
DROPPED_HEADERS = ["User-Agent", "Date", "Authorization", "x-amz-date", "Accept", "Referer", "Content-Language",
                   "x-cosmeta", "xcos-a", "hostname", "X-Forwarded-For", "Connection", "keep-alive", ""]
PARAMS = ["response-content-type", "response-content-disposition", "x-cos-security-token", "versionId",
          "acl", "uploads", "partNumber", "uploadId", "prefix", "max-keys", "a/b", "a b", "a+b", "a%b", "%41",
          "ü", "😀", "q-sign-time", "Key", "", "=", "&", ";", "_-.~", "A", "a", "İ", "ß", "ǅ"]
VALUE_BITS = ["", "v", "STANDARD_IA", "text/plain", "attachment; filename=\"a b.txt\"", "1B2M2Y8AsgTpgAmY7PhCfg==",
              "a&b=c", "50%", "%2F", "+", " ", "  lead", "trail  ", "/", "~", "中文", "😀", "\t", "\n", "é",
              "a;b", "a,b", "*", "null", "0", "bytes=0-99", "HOST.example.com", "h:80"]
NON_STR = [0, 1, -7, 10 ** 20, None, True, False, 1.5, 0.1, float("inf"), 2.0]
METHODS = ["PUT", "GET", "POST", "DELETE", "HEAD", "OPTIONS", "put", "Get", "gEt", "", "M-SEARCH", "PÜT", "ΣΑΣ",
           "İ", "pAtCh", " get ", "GET\n",
           # letters Python 3.11 (Unicode 14) does not lowercase but newer Unicode does
           "PUT\u1c89", "\U00010d50", "\ua7cb\u03a3"]


class Draws:
    """Random draws from a seeded ``random.Random``: the base of each generator's ``_G``."""

    def __init__(self, rng):
        self.r = rng

    def p(self, prob):
        return self.r.random() < prob

    def pick(self, seq):
        return self.r.choice(seq)


class _G(Draws):
    def ident(self, n):
        return "".join(self.r.choice(string.ascii_letters + string.digits) for _ in range(n))

    # ---- text ------------------------------------------------------------------------------
    def text(self, bits, maxn=4):
        parts = []
        for _ in range(self.r.randint(0, maxn)):
            roll = self.r.random()
            if roll < 0.45:
                parts.append(self.pick(bits))
            elif roll < 0.7:
                parts.append(self.ident(self.r.randint(1, 8)))
            elif roll < 0.85:
                parts.append(self.pick(WORDS))
            else:
                parts.append(chr(self.r.choice([self.r.randint(0x20, 0x7e), self.r.randint(0x80, 0x7ff),
                                                 self.r.randint(0x800, 0xd7ff), self.r.randint(0xe000, 0xfffd),
                                                 self.r.randint(0x10000, 0x10ffff)])))
        return "".join(parts)

    def key(self):
        roll = self.r.random()
        if roll < 0.02:
            return ""
        if roll < 0.03:
            return None
        if roll < 0.04:
            return self.pick([5, 0, b"", 1.5])
        if roll < 0.06:
            return self.text(KEY_BITS) + SURROGATE
        if roll < 0.08:
            return self.pick(["/", "//", "./", "../", ".", "/./", "a/./b", "a/../b", "%", "+", " "])
        k = self.text(KEY_BITS, 6) or "k"
        if self.p(0.2):
            k = "/" + k
        if self.p(0.05):
            k = "//" + k
        if self.p(0.04):
            return k.encode("utf-8")
        if self.p(0.01):
            return b"\xff\xfe" + k.encode("utf-8")  # not UTF-8: the SDK refuses
        if self.p(0.03):
            k = k * self.r.randint(10, 40)  # long keys
        return k

    def bucket(self):
        roll = self.r.random()
        if roll < 0.88:
            return self.pick(["examplebucket-1250000000", "a", "A1", "bucket", "my-bucket", "Example-Bucket-125",
                              "b-1250000000", "0"])
        if roll < 0.9:
            return None
        return self.pick(["", "a/b", "a.b", "-a", "a-", "a_b", "a b", "a\n", "ab\n", "a\nb", "évil", "a@b", "a:1",
                          "a?", b"bucket", 123, "a#b", "x" * 70])

    # ---- config ----------------------------------------------------------------------------
    def secrets(self, cfg):
        sid = "AKID" + self.ident(32)
        skey = self.ident(32)
        roll = self.r.random()
        if roll < 0.04:
            sid, skey = self.pick([(" " + sid, skey), (sid, skey + " "), (sid + "\t", skey), (sid, " ")])
        elif roll < 0.06:
            sid, skey = sid.encode(), skey.encode()
        elif roll < 0.07:
            sid, skey = self.pick([(b"\xff" + sid.encode(), skey), (sid, SURROGATE + skey)])
        elif roll < 0.10:
            sid, skey = self.pick([(sid[:8] + " " + sid[8:], skey), ("秘密" + sid, "ключ" + skey),
                                   (sid + "&x", skey), (sid + "=v", skey), (sid + ";%+", skey),
                                   (sid + "&q-ak=Z", skey), (sid, skey + "😀"), ("a", "b")])
        elif roll < 0.11:
            sid, skey = self.pick([(123, skey), (sid, 456), ("", skey), (sid, ""), (None, skey)])
        form = self.r.random()
        if form < 0.80:
            cfg["SecretId"], cfg["SecretKey"] = sid, skey
        elif form < 0.85:
            cfg["Secret_id"], cfg["Secret_key"] = sid, skey
        elif form < 0.88:
            cfg["Access_id"], cfg["Access_key"] = sid, skey
        elif form < 0.95:
            cfg["CredentialInstance"] = (
                self.pick([sid, sid, sid, None, 42, b"AKIDbytes"]),
                self.pick([skey, skey, skey, " spaced key ", b"bytes-key", None, 7, SURROGATE + "k"]),
                self.pick([None, "tok"]))
            if self.p(0.2):
                cfg["SecretId"] = sid  # only one of the pair: the instance is used
        elif form < 0.98:
            cfg["Anonymous"] = self.pick([True, 1, "yes"])
            if self.p(0.5):
                cfg["SecretId"], cfg["SecretKey"] = sid, skey
        else:
            if self.p(0.5):
                cfg["SecretId"] = sid  # a lone half: refused
            cfg["Anonymous"] = self.pick([None, False, 0])

    def host_form(self, cfg):
        roll = self.r.random()
        if roll < 0.45:
            cfg["Region"] = self.pick(REGIONS)
        elif roll < 0.55:
            cfg["Region"] = self.pick(ALIASES)
        elif roll < 0.60:
            cfg["Region"] = self.pick(LEGACY)
        elif roll < 0.65:
            cfg["Region"] = self.pick(PREFIXED)
        elif roll < 0.72:
            cfg["Region"] = self.pick(BAD_REGIONS)
        elif roll < 0.80:
            cfg["Endpoint"] = self.pick(ENDPOINTS)
            if self.p(0.3):
                cfg["Region"] = self.pick(REGIONS + BAD_REGIONS[:3])
        elif roll < 0.89:
            cfg["Domain"] = self.pick(DOMAINS)
            if self.p(0.6):
                cfg["Region"] = self.pick(REGIONS + ALIASES + BAD_REGIONS[:2])
        elif roll < 0.97:
            cfg["IP"] = self.pick(IPS)
            port = self.pick(PORTS)
            if port is not None:
                cfg["Port"] = port
            if self.p(0.95):
                cfg["Region"] = self.pick(REGIONS)
        elif roll < 0.985:
            pass  # neither region nor endpoint: refused unless Domain
        else:
            cfg["EndpointCi"] = self.pick(["ci.example.com", "ci.ap-beijing.myqcloud.com"])
            cfg["Region"] = self.pick(REGIONS + [None])
        if self.p(0.1):
            cfg["EndpointCi"] = self.pick(["ci.example.com", "CI.Example.com:81"])
        if self.p(0.25):
            cfg["EnableOldDomain"] = self.pick([False, False, True, 0, None, ""])
        if self.p(0.2):
            cfg["EnableInternalDomain"] = self.pick([False, True, 0, 1, None])

    def config(self):
        cfg = {}
        self.secrets(cfg)
        self.host_form(cfg)
        if self.p(0.2):
            cfg["Appid"] = self.pick(["1250000000", "1250000000", "125", "", b"1250000000", 1250000000])
        if self.p(0.2):
            cfg["Scheme"] = (self.pick(["http", "https", b"http", None]) if self.p(0.75)
                             else self.pick(["HTTP", "Https", "ftp", "", "http ", b"\xffhttp"]))
        if self.p(0.15):
            cfg["SignHost"] = self.pick([False, True, 0, 1, None, "", "no"])
        if self.p(0.12):
            cfg["SignParams"] = self.pick([False, True, 0, None])
        if self.p(0.15):
            cfg["Token"] = self.pick(["tok-" + self.ident(20), b"bytes-token", "", None])
        if self.p(0.1):  # the HTTP keywords: stored, no effect on signing
            for k, v in [("Timeout", 30), ("PoolConnections", 4), ("PoolMaxSize", 8), ("KeepAlive", False),
                         ("AllowRedirects", True), ("UA", "ua/1"), ("Proxies", {"http": "p"}),
                         ("ServiceDomain", "service.cos.myqcloud.com"), ("VerifySSL", False),
                         ("SSLCert", "/c.pem"), ("AutoSwitchDomainOnRetry", True), ("EndpointPic", "pic.x")]:
                if self.p(0.4):
                    cfg[k] = v
        return cfg

    # ---- dicts -----------------------------------------------------------------------------
    def value(self):
        roll = self.r.random()
        if roll < 0.72:
            return self.text(VALUE_BITS, 3)
        if roll < 0.88:
            return self.pick(NON_STR)
        if roll < 0.95:
            return self.text(VALUE_BITS, 3).encode("utf-8")
        if roll < 0.955:
            return self.text(VALUE_BITS, 2) + SURROGATE
        return self.pick([float("nan"), -0.0, 1e300, 12345678901234567890, b"", "0"])

    def case_variant(self, name):
        if not isinstance(name, str):
            return name
        f = self.pick([str.lower, str.upper, str.title, lambda s: s, lambda s: s.swapcase()])
        return f(name)

    def headers(self):
        n = self.r.choice([0, 0, 1, 1, 2, 3, 4, 6])
        h = {}
        for _ in range(n):
            roll = self.r.random()
            if roll < 0.35:
                name = self.case_variant(self.pick(ALLOWED))
            elif roll < 0.6:
                name = self.case_variant(self.pick(PREFIXED_HEADERS))
            elif roll < 0.8:
                name = self.pick(DROPPED_HEADERS)
            elif roll < 0.9:
                name = self.pick(["x-cos-", "x-ci-", "X-COS-"]) + self.text(KEY_BITS, 2)
            elif roll < 0.95:
                name = self.pick(["x-cos-meta-", "content-type"]) + self.pick(["", "", "", SURROGATE])
            else:
                name = self.pick([5, None, b"x-cos-a", b"Content-Type", 1.5, True]) if self.p(0.3) else "x-cos-meta-" + self.ident(3)
            h[name] = self.value()
            if self.p(0.15) and isinstance(name, str):
                h[self.case_variant(name)] = self.value()  # differing in case only
        if self.p(0.03) and all(isinstance(k, str) for k in h):  # a mapping that is not a dict
            from requests.structures import CaseInsensitiveDict
            h = CaseInsensitiveDict(h)
        if self.p(0.1):
            h[self.pick(["Host", "host", "HOST", "hOsT"])] = self.pick(
                ["", "EXAMPLE.com", "b.cos.ap-beijing.myqcloud.com:8080", "évil", 5, b"h", None])
        return h

    def params(self):
        n = self.r.choice([0, 0, 1, 1, 2, 3, 5])
        p = {}
        for _ in range(n):
            roll = self.r.random()
            if roll < 0.6:
                name = self.case_variant(self.pick(PARAMS))
            elif roll < 0.85:
                name = self.text(KEY_BITS, 3)
            elif roll < 0.95:
                name = self.pick([0, 7, None, True, 1.5, b"acl", b"x y", b"\xff"])
            else:
                name = self.pick(["a", "b", "a" + SURROGATE])
            p[name] = self.value()
            if self.p(0.15) and isinstance(name, str):
                p[self.case_variant(name)] = self.value()
        return p

    # ---- calls -----------------------------------------------------------------------------
    def expired(self):
        if self.p(0.05):  # the SDK's TypeError, and values cos_sign refuses (float, > 64 bits)
            return self.pick(["300", None, b"1", [1], 1.5, 300.0, 10 ** 20, -(10 ** 19)])
        return self.pick([1, 60, 300, 600, 3600, 86400, 7 * 86400, 0, -5, -10 ** 6, 10 ** 9, True, False, 299,
                          2 ** 31, self.r.randint(1, 10 ** 6)])

    def sign_host(self):
        return self.pick([None, True, False, 0, 1, "", "x"])

    def method(self):
        if self.p(0.02):
            return self.pick([None, b"PUT", 5])
        return self.pick(METHODS)

    def call(self):
        name = self.r.choices(
            ["get_auth", "get_presigned_url", "get_presigned_download_url", "get_object_url", "uri", "get_host"],
            [30, 30, 15, 8, 10, 7])[0]
        kw = {}
        if name in ("get_auth", "get_presigned_url", "get_presigned_download_url"):
            kw["Bucket"] = self.bucket()
            kw["Key"] = self.key()
            if name != "get_presigned_download_url":
                kw["Method"] = self.method()
            if self.p(0.6):
                kw["Expired"] = self.expired()
            if self.p(0.85):
                kw["Headers"] = self.headers()
            if self.p(0.85):
                kw["Params"] = self.params()
            if self.p(0.35):
                kw["SignHost"] = self.sign_host()
            if self.p(0.07):
                kw["UseCiEndPoint"] = self.pick([True, 1, False])
        elif name == "get_object_url":
            kw["Bucket"] = self.bucket()
            kw["Key"] = self.key()
        elif name == "uri":
            if self.p(0.8):
                kw["bucket"] = self.bucket()
            if self.p(0.8):
                kw["path"] = self.key()
            if self.p(0.15):
                kw["endpoint"] = self.pick(ENDPOINTS[:6])
            if self.p(0.15):
                kw["domain"] = self.pick(DOMAINS[:6])
            if self.p(0.15):
                kw["useAppid"] = self.pick([True, False, 1])
        else:
            if self.p(0.8):
                kw["Bucket"] = self.bucket()
            if self.p(0.3):
                kw["Appid"] = self.pick(["1250000000", "", 5, b"12"])
        args = []
        if self.p(0.3):  # positional, in the SDK's order, as far as the arguments are contiguous
            for pname in SDK_ORDER[name]:
                if pname not in kw:
                    break
                args.append(kw.pop(pname))
        return name, args, kw


def generate_case(rng):
    """One random case (see the module doc) drawn from ``rng`` (a ``random.Random``)."""
    g = _G(rng)
    cfg = g.config()
    setup = []
    if g.p(0.06):
        setup.append(("set_ip_port", [g.pick(IPS), g.pick(PORTS)] if g.p(0.7) else [g.pick(IPS)]))
    if g.p(0.05):
        sid, skey = "AKIDROTATED" + g.ident(20), g.ident(32)
        setup.append(("set_credential", g.pick([[sid, skey, "tok"], [sid, skey], [" " + sid, skey, "t"],
                                               [sid, skey, b"tok"], [sid.encode(), skey, "t"]])))
    name, args, kw = g.call()
    now = rng.randint(1_500_000_000, 1_900_000_000) + g.pick([0, 0, 0.25, 0.999999])
    return {"config": cfg, "setup": setup, "call": name, "args": args, "kwargs": kw, "now": now}


def generate(seed, n):
    """``n`` cases from ``seed``: the same seed gives the same cases."""
    rng = random.Random(seed)
    return [generate_case(rng) for _ in range(n)]


if __name__ == "__main__":  # print a few cases and what the SDK answers
    import sys

    import qcloud_cos

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    for c in generate(seed, count):
        print(repr(c))
        print("  ->", evaluate(qcloud_cos, c))
