"""The refusals cos_sign adds beyond qcloud_cos 1.9.44 (cos_sign.CosRefusedError, a
CosClientError): for each kind, the live SDK's answer is computed and shown to be a success (or
another exception), while cos_sign refuses. The differential test accepts CosRefusedError in
place of the SDK's answer; this file pins down that each refusal is deliberate."""

import pytest
import qcloud_cos

import cos_sign
from gen import evaluate

NOW = 1_700_000_000
KEYS = {"SecretId": "AKIDrefusal", "SecretKey": "refusalkey"}


def case(config, call, **kwargs):
    return {"config": {**KEYS, **config}, "call": call, "kwargs": kwargs, "now": NOW}


AUTH = {"Method": "GET", "Bucket": "b-1250000000", "Key": "k"}
PRESIGN = {"Bucket": "b-1250000000", "Key": "k", "Method": "PUT"}

REFUSED = {
    "region ending with a newline": case({"Region": "ap-beijing\n"}, "get_presigned_url", **PRESIGN),
    "bucket ending with a newline": case({"Region": "ap-beijing"}, "get_auth", **{**AUTH, "Bucket": "ab\n"}),
    "appid with @": case({"Region": "ap-beijing", "Appid": "1@evil.com"}, "get_object_url",
                         Bucket="b", Key="k"),
    "endpoint with a path": case({"Endpoint": "evil.com/x"}, "get_presigned_url", **PRESIGN),
    "domain with @": case({"Region": "ap-beijing", "Domain": "user@evil.com"}, "get_presigned_url", **PRESIGN),
    "empty domain": case({"Region": "ap-beijing", "Domain": ""}, "get_object_url", Bucket="b", Key="k"),
    "IP with a path": case({"Region": "ap-beijing", "IP": "10.0.0.1/x"}, "get_object_url", Bucket="b", Key="k"),
    "port that is not a number": case({"Region": "ap-beijing", "IP": "10.0.0.1", "Port": "x"}, "get_auth", **AUTH),
    "key time before 1970": case({"Region": "ap-beijing"}, "get_auth", **AUTH, Expired=-NOW - 1),
    "float Expired": case({"Region": "ap-beijing"}, "get_presigned_url", **PRESIGN, Expired=1.5),
    "Expired beyond 64 bits": case({"Region": "ap-beijing"}, "get_auth", **AUTH, Expired=10 ** 20),
    "param value bytes not UTF-8": case({"Region": "ap-beijing"}, "get_presigned_url", **PRESIGN,
                                        Params={"a": b"\xff"}),
    "header value bytes not UTF-8": case({"Region": "ap-beijing"}, "get_auth", **AUTH,
                                         Headers={"x-cos-meta-a": b"\xfe"}),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_added_refusal(name):
    c = REFUSED[name]
    sdk = evaluate(qcloud_cos, c)
    assert sdk[0] == "ok" or sdk[1] != "CosClientError", (name, sdk)  # the SDK does not refuse it
    assert evaluate(cos_sign, c) == ("error", "CosRefusedError")
    assert issubclass(cos_sign.CosRefusedError, cos_sign.CosClientError)


def test_refusal_is_caught_as_client_error():
    with pytest.raises(cos_sign.CosClientError, match="region"):
        cos_sign.CosConfig(Region="ap-beijing\n", **KEYS)
    client = cos_sign.CosS3Client(cos_sign.CosConfig(Region="ap-beijing", **KEYS))
    with pytest.raises(cos_sign.CosClientError, match="bucket"):
        client.get_presigned_url("b-1\n", "k", "PUT")
