"""Call shapes of gen_shapes.py against the live qcloud_cos 1.9.44: the calls that once differed
(pinned) and a bounded seeded run (COS_SIGN_SHAPES_N calls, default 1000, seed
COS_SIGN_SHAPES_SEED, default 2). A long run:
``COS_SIGN_SHAPES_N=100000 COS_SIGN_SHAPES_SEED=7 pytest tests/py/binding/test_shapes.py``."""

import os

import pytest
import qcloud_cos

import cos_sign
from gen import evaluate
from gen_shapes import Counter, Falsy, NeverEqual, RandomHash, ShoutingEncode, evaluate_shape, generate_shapes
from gen_types import Fmt, Low

N = int(os.environ.get("COS_SIGN_SHAPES_N", "1000"))
SEED = int(os.environ.get("COS_SIGN_SHAPES_SEED", "2"))
NOW = 1_700_000_000
CFG = {"SecretId": "AKIDshape", "SecretKey": "shapekey", "Region": "ap-beijing"}
AUTH = {"Method": "GET", "Bucket": "b", "Key": "k"}


def case(call, kwargs, setup=(), **config):
    return {"config": {**CFG, **config}, "setup": list(setup), "call": call, "kwargs": kwargs, "now": NOW}


# Each of these differed before (cos_sign's answer then in the comment).
PINNED = {
    # CosS3Client logs "%d,%d" % (PoolConnections, PoolMaxSize) when made: TypeError (ok)
    "PoolConnections str": case("get_auth", AUTH, PoolConnections="x"),
    "PoolMaxSize None": case("get_object_url", {"Bucket": "b", "Key": "k"}, PoolMaxSize=None),
    "PoolConnections nan": case("get_auth", AUTH, PoolConnections=float("nan")),  # ValueError (ok)
    # filter_headers reads data[i] again: a key whose hash changes is not found, KeyError (ok)
    "header key with a changing hash": case("get_auth", {**AUTH, "Headers": {RandomHash("x-cos-a"): "v"}}),
    # to_bytes calls a str subclass's own encode: the name, the value, the key's URL (its text)
    "header encoded by its own encode": case("get_auth", {**AUTH, "Headers": {ShoutingEncode("x-cos-a"):
                                                                             ShoutingEncode("v")}}),
    "key encoded by its own encode": case("get_presigned_url", {**AUTH, "Key": ShoutingEncode("k")}),
    "SecretKey encoded by its own encode": case("get_auth", AUTH, SecretKey=ShoutingEncode("shapekey")),
    # `if not path`, `if not bucket` ask a str subclass's own truthiness: CosClientError (ok)
    "falsy key": case("get_auth", {**AUTH, "Key": Falsy("k")}),
    "falsy key URL": case("get_object_url", {"Bucket": "b", "Key": Falsy("k")}),
    "falsy bucket": case("get_object_url", {"Bucket": Falsy("b"), "Key": "k"}),
    # Scheme != 'http' asks the object's own != : CosClientError (ok, http://...)
    "Scheme never equal": case("get_object_url", {"Bucket": "b", "Key": "k"}, Scheme=NeverEqual("http")),
    # set_credential: value.endswith(' ') of a bytearray is a TypeError (AttributeError); the key's
    # spaces come before the token's type (AttributeError)
    "set_credential bytearray id": case("get_object_url", {"Bucket": "b", "Key": "/k"},
                                        setup=[("set_credential", [bytearray(b"x"), "k", "t"])]),
    "set_credential spaced key, object token": case("get_auth", AUTH,
                                                    setup=[("set_credential", ["AKID", " ", object])]),
    "Method whose lower() is formatted": case("get_auth", {**AUTH, "Method": Low("PUT")}),
    "formatted key": case("get_auth", {**AUTH, "Key": Fmt("/k")}),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_shapes_match_the_sdk(name):
    c = PINNED[name]
    assert evaluate(cos_sign, c) == evaluate(qcloud_cos, c)


def test_a_falsy_credential_instance_is_read_as_none():
    # CosS3Auth asks the instance's truthiness before each read: a falsy one gives None, and
    # hmac.new(None) a TypeError (cos_sign read its secrets and signed: it gave CosClientError)
    for mod in (qcloud_cos, cos_sign):
        conf = mod.CosConfig(Region="ap-beijing", CredentialInstance=Counter(["AKIDc"], ["k"], [True, False]))
        with pytest.raises(TypeError):
            mod.CosS3Client(conf).get_auth("GET", "b", "k")


def test_generated_shapes_match_the_sdk():
    qcloud_cos.CosS3Client(qcloud_cos.CosConfig(**CFG))  # the SDK's shared pool, made once
    mismatches, oks, refused = [], 0, 0
    for i, c in enumerate(generate_shapes(SEED, N)):
        want, got = evaluate_shape(qcloud_cos, c), evaluate_shape(cos_sign, c)
        oks += want[0] == "ok"
        if got[:2] == ("error", "CosRefusedError"):
            refused += 1
        elif want != got or type(want[1]) is not type(got[1]):
            mismatches.append((i, c, want, got))
    report = "\n".join(f"#{i} {c!r}\n  sdk:      {w!r}\n  cos_sign: {g!r}" for i, c, w, g in mismatches[:10])
    assert not mismatches, f"seed={SEED}: {len(mismatches)} of {N} differ:\n{report}"
    assert oks > N // 6 and refused < N // 5, (oks, refused)
