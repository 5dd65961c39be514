"""The Python surface beyond the signing calls: CosS3Auth against qcloud_cos.cos_auth.CosS3Auth
on generated prepared requests, the AttributeError of a qcloud_cos method cos_sign lacks, the
stub listing only real members, and the SDK's exception types for arguments of the wrong type."""

import ast
import os
import random
from pathlib import Path

import pytest
import qcloud_cos
import requests
from qcloud_cos.cos_auth import CosS3Auth as SdkAuth

import cos_sign
from gen import _G, frozen_time

SEED = int(os.environ["COS_SIGN_SEED"])
N = int(os.environ.get("COS_SIGN_DIFF_N", "5000")) // 5
STUB = Path(cos_sign.__file__).with_name("_cos_sign.pyi")


def _prepared(g):
    """A prepared request requests accepts, to a URL of a generated config (or a plain host)."""
    headers = {k: v for k, v in g.headers().items() if isinstance(k, str) and isinstance(v, str)}
    url = g.pick(["https://b-1250000000.cos.ap-beijing.myqcloud.com/",
                  "http://EXAMPLE.com:8080/", "https://[::1]:9000/", "https://例え.jp/"])
    url += g.pick(["a.txt", "dir/a%20b", "", "x?acl", "k?uploadId=1&partNumber=2"])
    try:
        return requests.Request(g.pick(["GET", "PUT", "post", "DELETE", "HEAD"]), url,
                                headers=headers).prepare()
    except Exception:  # a header value requests refuses: not a request anyone can send
        return None


def _apply(auth_cls, mod, cfg, p, args, now):
    try:
        conf = mod.CosConfig(**cfg)
        r = p.copy()
        with frozen_time(now):
            auth_cls(conf, *args)(r)
        return ("ok", r.headers["Authorization"])
    except Exception as e:  # the class is compared
        return ("error", type(e).__name__)


def test_cos_s3_auth_matches_the_sdk():
    rng = random.Random(SEED)
    g = _G(rng)
    same = signed = refused = 0
    tried = 0
    mismatches = []
    while tried < N:
        p = _prepared(g)
        if p is None:
            continue
        tried += 1
        cfg = g.config()
        args = [g.key(), g.params(), g.pick([10000, 300, 60, 0]), g.sign_host()][: rng.randint(0, 4)]
        now = 1_700_000_000 + rng.randint(0, 10 ** 6)
        want = _apply(SdkAuth, qcloud_cos, cfg, p, args, now)
        got = _apply(cos_sign.CosS3Auth, cos_sign, cfg, p, args, now)
        signed += want[0] == "ok" and want[1] != ""
        if got == ("error", "CosRefusedError"):
            refused += 1
        elif want == got:
            same += 1
        else:
            mismatches.append((cfg, p.method, p.url, dict(p.headers), args, want, got))
    print(f"CosS3Auth: seed={SEED} {same}/{N} equal ({signed} signed by the SDK), {refused} refused")
    assert not mismatches, "\n".join(map(repr, mismatches[:5]))
    assert signed > N // 3


def test_cos_s3_auth_with_requests():
    conf = dict(Region="ap-beijing", SecretId="AKIDa", SecretKey="k" * 32)
    url = "https://b-1250000000.cos.ap-beijing.myqcloud.com/a.txt"
    p = requests.Request("PUT", url, data=b"hello", headers={"Content-Type": "text/plain"}).prepare()
    want, got = p.copy(), p.copy()
    with frozen_time(1_700_000_000):
        SdkAuth(qcloud_cos.CosConfig(**conf), "a.txt")(want)
        cos_sign.CosS3Auth(cos_sign.CosConfig(**conf), "a.txt")(got)
    assert got.headers["Authorization"] == want.headers["Authorization"]
    assert "q-header-list=content-length;content-type;host&" in got.headers["Authorization"]
    assert isinstance(cos_sign.CosS3Auth(cos_sign.CosConfig(**conf)), requests.auth.AuthBase)


def test_missing_sdk_methods_say_so():
    client = cos_sign.CosS3Client(cos_sign.CosConfig(Region="ap-beijing", SecretId="a", SecretKey="b"))
    assert hasattr(qcloud_cos.CosS3Client, "put_object")
    with pytest.raises(AttributeError) as e:
        client.put_object(Bucket="b-1", Key="k", Body=b"")
    msg = str(e.value)
    assert "put_object" in msg and "qcloud_cos" in msg and "signing" in msg
    with pytest.raises(AttributeError, match=r"^'CosS3Client' object has no attribute '_nope'$"):
        client._nope


def test_stub_lists_only_real_members():
    tree = ast.parse(STUB.read_text())
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")):
        names = [f.name for f in cls.body if isinstance(f, ast.FunctionDef)]
        assert "__getattr__" not in names, cls.name
        runtime = getattr(cos_sign, cls.name)
        for name in names:
            assert hasattr(runtime, name), f"{cls.name}.{name} is in the stub but not in cos_sign"


@pytest.mark.parametrize("call", ["get_auth", "get_presigned_url"])
@pytest.mark.parametrize("headers", [[("a", "b")], [("Content-Type", "x")], ("x",)])
def test_argument_types_raise_the_sdk_exceptions(call, headers):
    def run(mod):
        client = mod.CosS3Client(mod.CosConfig(Region="ap-beijing", SecretId="a", SecretKey="b"))
        args = ("GET", "b-1", "k") if call == "get_auth" else ("b-1", "k", "GET")
        try:
            with frozen_time(1_700_000_000):
                getattr(client, call)(*args, Headers=headers)
        except Exception as e:
            return type(e), str(e)
        return None

    want = run(qcloud_cos)
    assert want is not None and want[0] is TypeError
    assert run(cos_sign) == want
