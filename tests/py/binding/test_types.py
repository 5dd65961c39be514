"""Arguments of the types the SDK accepts by accident, against the live qcloud_cos 1.9.44: the
calls that once differed (pinned), and a bounded seeded run of gen_types (COS_SIGN_TYPES_N
calls, default 3000, and as many CosS3Auth calls on prepared requests). A long run:
``COS_SIGN_TYPES_N=100000 pytest tests/py/binding/test_types.py``."""

import collections
import decimal
import email.message
import fractions
import os

import pytest
import qcloud_cos

import cos_sign
from gen import evaluate
from gen_types import Acl, Conf, Fmt, Level, Low, evaluate_auth, generate, generate_auth

N = int(os.environ.get("COS_SIGN_TYPES_N", "3000"))
SEED = int(os.environ["COS_SIGN_SEED"])  # set by conftest.py when not given
NOW = 1_700_000_000.5
CFG = {"SecretId": "AKIDtypes", "SecretKey": "typeskey", "Region": "ap-beijing"}
AUTH = {"Method": "GET", "Bucket": "b-1250000000", "Key": "k"}
PRESIGN = {"Bucket": "b-1250000000", "Key": "k", "Method": "GET"}


def _message(*pairs):
    m = email.message.Message()
    for k, v in pairs:
        m[k] = v
    return m


def case(call, kwargs, **config):
    return {"config": {**CFG, **config}, "call": call, "kwargs": kwargs, "now": NOW}


# Each of these differed before (cos_sign's answer then in the comment).
PINNED = {
    # the SDK adds Expired to int(time.time()) and formats the sum: "1700000300" (TypeError)
    "Decimal Expired": case("get_auth", {**AUTH, "Expired": decimal.Decimal(300)}),
    "Fraction Expired": case("get_presigned_url", {**PRESIGN, "Expired": fractions.Fraction(600, 2)}),
    "negative Decimal Expired": case("get_auth", {**AUTH, "Expired": decimal.Decimal(-30)}),
    # `for i in data: data[i]`: a name listed twice is signed once with its first value (the last)
    "Message headers": case("get_auth", {**AUTH, "Headers": _message(("x-cos-a", "1"), ("X-Cos-A", "2"),
                                                                      ("Content-Type", "t"))}),
    # urlencode(Params) takes str() of a (str, Enum): the URL has "Acl.ACL=Acl.PRIVATE" where the
    # signature has "acl=private" (acl=private)
    "str Enum params": case("get_presigned_url", {**PRESIGN, "Params": {Acl.ACL: Acl.PRIVATE}}),
    "str Enum params unsigned": case("get_presigned_url", {**PRESIGN, "Params": {Acl.ACL: "x"}}, SignParams=False),
    # not signed: only urlencode reads them, which takes a list of pairs (AttributeError)
    "list params unsigned": case("get_presigned_url", {**PRESIGN, "Params": [("a", "b"), ("c", 1)]}, SignParams=False),
    "OrderedDict params unsigned": case("get_presigned_url",
                                        {**PRESIGN, "Params": collections.OrderedDict([("b", 1), ("a", 2)])},
                                        SignParams=False),
    # the key's path[0] raises KeyError (TypeError)
    "dict key": case("get_auth", {**AUTH, "Key": {"a": 1}}),
    "dict key URL": case("get_object_url", {"Bucket": "b-1250000000", "Key": {"a": 1}}),
    # quote() takes a bytearray, whose path[0] is an int: no "/" stripped (TypeError)
    "bytearray key URL": case("get_object_url", {"Bucket": "b-1250000000", "Key": bytearray(b"/k")}),
    "bytearray key": case("get_presigned_url", {**PRESIGN, "Key": bytearray(b"k")}),
    "IntEnum Expired": case("get_auth", {**AUTH, "Expired": Level.SHORT}),
    # Where the SDK formats a value ("{}".format), a str subclass gives its format, on Python
    # 3.11 "Acl.ACL" for a (str, Enum) member; the checks see its text (cos_sign used the text)
    "str Enum bucket in the host": case("get_object_url", {"Bucket": Acl.ACL, "Key": "k"}),
    "str Enum bucket ending in the appid": case("get_auth", {**AUTH, "Bucket": Conf.BUCKET}, Appid="1250000000"),
    "str Enum bucket the appid is appended to": case("get_object_url", {"Bucket": Conf.SHORT, "Key": "k"},
                                                     Appid="1250000000"),
    "str Enum key starting with / signed": case("get_auth", {**AUTH, "Key": Acl.SLASH}),
    "formatted key starting with / signed": case("get_presigned_url", {**PRESIGN, "Key": Fmt("/k")}),
    "formatted key in the URL": case("get_object_url", {"Bucket": "b", "Key": Fmt("k")}),
    "str Enum scheme": case("get_presigned_url", PRESIGN, Scheme=Conf.HTTP),
    "formatted scheme": case("get_auth", AUTH, Scheme=Fmt("https")),
    "str Enum region with cos.": case("get_auth", AUTH, Region=Conf.COS_REGION),
    "str Enum legacy region": case("get_object_url", {"Bucket": "b", "Key": "k"}, Region=Conf.LEGACY),
    "str Enum region on the CI endpoint": case("get_auth", {**AUTH, "UseCiEndPoint": True}, Region=Conf.COS_REGION),
    "formatted region": case("get_auth", AUTH, Region=Fmt("cos.ap-beijing")),
    "str Enum SecretId": case("get_presigned_url", PRESIGN, SecretId=Conf.ID),
    "formatted SecretId with &": case("get_presigned_url", PRESIGN, SecretId=Fmt("AKID&x=1")),
    "str Enum Endpoint": case("get_auth", AUTH, Endpoint=Conf.ENDPOINT),
    "str Enum Domain": case("get_auth", AUTH, Domain=Conf.DOMAIN),
    "str Enum IP": case("get_presigned_url", PRESIGN, IP=Conf.IP),
    "formatted EndpointCi": case("get_auth", {**AUTH, "UseCiEndPoint": True}, EndpointCi=Fmt("ci.example.com")),
    "Method whose lower() formats": case("get_auth", {**AUTH, "Method": Low("PUT")}),
    "useAppid with a str Enum Appid": {"config": {**CFG, "Appid": Conf.APPID}, "call": "uri",
                                       "kwargs": {"useAppid": True}, "now": NOW},
    "get_host with a str Enum Appid": {"config": CFG, "call": "get_host", "kwargs": {"Appid": Conf.APPID},
                                       "now": NOW},
    "CredentialInstance formatted id": case("get_auth", AUTH, SecretId=None, SecretKey=None,
                                            CredentialInstance=(Fmt("AKIDinst"), "k", None)),
    "set_credential with a str Enum id": {**case("get_auth", AUTH), "setup": [("set_credential", [Conf.ID, "k2", "t"])]},
    "set_ip_port with a formatted IP": {**case("get_object_url", {"Bucket": "b", "Key": "k"}),
                                        "setup": [("set_ip_port", [Fmt("10.0.0.2"), 80])]},
    # bytes the SDK formats without decoding: "b'e.example'"
    "uri with a bytes endpoint": {"config": CFG, "call": "uri", "kwargs": {"bucket": "b", "endpoint": b"e.example"},
                                  "now": NOW},
    "get_host with a bytes Endpoint beside a Domain": {"config": {**CFG, "Domain": "d.example", "Endpoint": b"e.x"},
                                                       "call": "get_host", "kwargs": {"Bucket": "b"}, "now": NOW},
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_types_match_the_sdk(name):
    c = PINNED[name]
    want = evaluate(qcloud_cos, c, effects=True)
    assert evaluate(cos_sign, c, effects=True) == want


def _auth_case(config, later=None, **args):
    return {"config": {"Region": "ap-beijing", **config}, "args": {"key": "k", **args}, "later": later,
            "method": "PUT", "url": "https://b-1250000000.cos.ap-beijing.myqcloud.com/k?acl",
            "headers": {"x-cos-acl": "private"}, "body": b"abc", "now": NOW}


AUTH_PINNED = {
    # CosS3Auth reads the secrets when it is made: a later set_credential is not used
    "set_credential after": _auth_case({"SecretId": "AKIDa", "SecretKey": "ka"}, "set_credential"),
    "instance changed after": _auth_case({"CredentialInstance": ("AKIDi", "ki", None)}, "instance"),
    # it calls items() on params that are signed, even falsy ones: AttributeError (signed)
    "empty str params": _auth_case({"SecretId": "AKIDa", "SecretKey": "ka"}, params=""),
    "empty list params": _auth_case({"SecretId": "AKIDa", "SecretKey": "ka"}, params=[]),
    "None params": _auth_case({"SecretId": "AKIDa", "SecretKey": "ka"}, params=None),
    "empty list params unsigned": _auth_case({"SecretId": "AKIDa", "SecretKey": "ka", "SignParams": False},
                                             params=[]),
}


@pytest.mark.parametrize("name", sorted(AUTH_PINNED))
def test_pinned_auth_objects_match_the_sdk(name):
    c = AUTH_PINNED[name]
    assert evaluate_auth(cos_sign, c) == evaluate_auth(qcloud_cos, c)


def test_formatted_values_reach_the_output():
    # the pinned cases above compare with the SDK; this says what both give
    c = case("get_object_url", {"Bucket": Acl.ACL, "Key": "k"})
    assert evaluate(cos_sign, c) == ("ok", "https://Acl.ACL.cos.ap-beijing.myqcloud.com/k")
    c = case("get_object_url", {"Bucket": "b", "Key": "k"}, Scheme=Conf.HTTP, Region=Conf.LEGACY)
    assert evaluate(cos_sign, c) == ("ok", "Conf.HTTP://b.Conf.LEGACY.myqcloud.com/k")
    c = case("get_auth", AUTH, SecretId=Conf.ID)
    assert evaluate(cos_sign, c)[1].startswith("q-sign-algorithm=sha1&q-ak=Conf.ID&")


class _Evil(str):
    def __format__(self, spec):
        return "https://evil.example/?"


@pytest.mark.parametrize("config", [{"Port": Conf.PORT, "IP": "10.0.0.1"}, {"Domain": Fmt("x.example/evil")},
                                    {"Scheme": _Evil("https")}, {"Region": _Evil("cos.ap-beijing")}])
def test_formats_that_move_the_host_are_refused(config):
    # the SDK builds "10.0.0.1:Conf.PORT", "f-x.example/evil", "f-https://evil.example/?://...":
    # cos_sign refuses what would change or break the host (a formatted scheme urlsplit reads
    # as a scheme is kept: "formatted scheme" above)
    c = case("get_object_url", {"Bucket": "b", "Key": "k"}, **config)
    assert evaluate(qcloud_cos, c)[0] == "ok"
    assert evaluate(cos_sign, c) == ("error", "CosRefusedError")


def _run(cases, run):
    mismatches, oks, refused = [], 0, 0
    for i, c in enumerate(cases):
        want, got = run(qcloud_cos, c), run(cos_sign, c)
        oks += want[0] == "ok"
        if got[:2] == ("error", "CosRefusedError"):
            refused += 1
        elif want != got or type(want[1]) is not type(got[1]):
            mismatches.append((i, c, want, got))
    report = "\n".join(f"#{i} {c!r}\n  sdk:      {w!r}\n  cos_sign: {g!r}" for i, c, w, g in mismatches[:10])
    assert not mismatches, f"seed={SEED}: {len(mismatches)} of {len(cases)} differ:\n{report}"
    return oks, refused


def test_generated_types_match_the_sdk():
    oks, refused = _run(generate(SEED, N), lambda m, c: evaluate(m, c, effects=True))
    assert oks > N // 5 and refused < N // 5, (oks, refused)


def test_generated_auth_objects_match_the_sdk():
    oks, refused = _run(generate_auth(SEED, N), evaluate_auth)
    assert oks > N // 3 and refused < N // 5, (oks, refused)
