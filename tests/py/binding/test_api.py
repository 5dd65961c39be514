"""API shape: the same signatures (names, order, defaults) as qcloud_cos 1.9.44, CredentialInstance
read at every call, the exceptions' accessors, stored HTTP keywords, and no secret in repr()."""

import inspect
import pickle

import pytest
import qcloud_cos
from qcloud_cos import cos_exception

import cos_sign
from gen import Credential, frozen_time

NOW = 1_700_000_000
SECRET_KEY = "SECRETKEYsecretKEY0123456789abcd"


def _params(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values() if p.name != "self"]


@pytest.mark.parametrize("name", ["get_auth", "get_presigned_url", "get_presigned_download_url",
                                  "get_object_url", "get_conf"])
def test_client_method_signatures(name):
    sdk = _params(getattr(qcloud_cos.CosS3Client, name))
    ours = _params(getattr(cos_sign.CosS3Client, name))
    assert [(n, d) for n, _, d in ours] == [(n, d) for n, _, d in sdk]
    assert all(k == inspect.Parameter.POSITIONAL_OR_KEYWORD for _, k, _ in ours)


@pytest.mark.parametrize("name", ["uri", "get_host", "set_ip_port", "set_credential"])
def test_config_method_signatures(name):
    assert _params(getattr(cos_sign.CosConfig, name)) == _params(getattr(qcloud_cos.CosConfig, name))


def test_constructor_signatures():
    assert _params(cos_sign.CosConfig) == _params(qcloud_cos.CosConfig.__init__)
    assert _params(cos_sign.CosS3Client) == _params(qcloud_cos.CosS3Client.__init__)


def _pair(**cfg):
    return (qcloud_cos.CosS3Client(qcloud_cos.CosConfig(**cfg)), cos_sign.CosS3Client(cos_sign.CosConfig(**cfg)))


def test_positional_calls_follow_the_sdk_order():
    sdk, ours = _pair(Region="ap-beijing", SecretId="AKIDa", SecretKey=SECRET_KEY)
    with frozen_time(NOW):
        for name, args in [
            ("get_auth", ["PUT", "b-1", "k", 60, {"x-cos-a": "1"}, {"p": "2"}, False, True]),
            ("get_presigned_url", ["b-1", "k", "PUT", 60, {"p": "2"}, {"x-cos-a": "1"}, True, False]),
            ("get_presigned_download_url", ["b-1", "k", 60, {"p": "2"}, {"x-cos-a": "1"}, False, False]),
            ("get_object_url", ["b-1", "k"]),
        ]:
            assert getattr(ours, name)(*args) == getattr(sdk, name)(*args), name
    assert ours.get_conf().uri("b-1", "k", "e.example", None, False) == sdk.get_conf().uri(
        "b-1", "k", "e.example", None, False)


def test_every_config_keyword_is_accepted_and_http_ones_are_stored():
    names = [p.name for p in inspect.signature(qcloud_cos.CosConfig.__init__).parameters.values()][1:]
    values = {"Appid": "1250000000", "Region": "ap-beijing", "SecretId": "AKIDa", "SecretKey": SECRET_KEY,
              "Token": "tok", "Scheme": "http", "Timeout": 7, "Endpoint": None, "IP": None, "Port": None,
              "UA": "ua/1", "Proxies": {"https": "p:1"}, "KeepAlive": False, "PoolConnections": 3,
              "PoolMaxSize": 4, "AllowRedirects": True, "VerifySSL": "/ca.pem", "SSLCert": ("/c", "/k"),
              "AutoSwitchDomainOnRetry": True, "ServiceDomain": "service.example", "EndpointCi": "ci.example"}
    kwargs = {k: v for k, v in values.items() if k in names}
    sdk, ours = qcloud_cos.CosConfig(**kwargs), cos_sign.CosConfig(**kwargs)
    for attr in ["_timeout", "_ua", "_proxies", "_keep_alive", "_pool_connections", "_pool_maxsize",
                 "_allow_redirects", "_verify_ssl", "_ssl_cert", "_auto_switch_domain_on_retry",
                 "_service_domain", "_token", "_appid", "_scheme", "_sign_host", "_sign_params",
                 "_endpoint", "_endpoint_ci", "_region", "_enable_old_domain", "_enable_internal_domain",
                 "_ip", "_port", "_domain", "_anonymous"]:
        assert getattr(ours, attr) == getattr(sdk, attr), attr
    client = cos_sign.CosS3Client(ours, retry=5, session=None)
    assert client.get_conf() is ours
    assert client._retry == 5 and client._session is None


def test_aliases_of_the_secret_pair():
    with frozen_time(NOW):
        want = qcloud_cos.CosS3Client(qcloud_cos.CosConfig(Region="ap-beijing", SecretId="AKIDa",
                                                           SecretKey=SECRET_KEY)).get_auth("GET", "b-1", "k")
        for a, b in [("Secret_id", "Secret_key"), ("Access_id", "Access_key"), ("SecretId", "SecretKey")]:
            conf = cos_sign.CosConfig(Region="ap-beijing", **{a: "AKIDa", b: SECRET_KEY})
            assert cos_sign.CosS3Client(conf).get_auth("GET", "b-1", "k") == want


def test_credential_instance_is_read_at_every_call():
    cred = Credential("AKIDfirst", "firstkey")
    ours = cos_sign.CosS3Client(cos_sign.CosConfig(Region="ap-beijing", CredentialInstance=cred))
    sdk = qcloud_cos.CosS3Client(qcloud_cos.CosConfig(Region="ap-beijing", CredentialInstance=cred))
    with frozen_time(NOW):
        first = ours.get_presigned_url("b-1", "k", "PUT")
        assert first == sdk.get_presigned_url("b-1", "k", "PUT")
        assert "q-ak=AKIDfirst" in first
        cred.secret_id, cred.secret_key = "AKIDsecond", "secondkey"
        second = ours.get_presigned_url("b-1", "k", "PUT")
        assert second == sdk.get_presigned_url("b-1", "k", "PUT")
        assert "q-ak=AKIDsecond" in second and second != first


def test_set_credential_and_set_ip_port_match_the_sdk():
    sdk, ours = _pair(Region="ap-beijing", SecretId="AKIDa", SecretKey=SECRET_KEY)
    with frozen_time(NOW):
        for c in (sdk, ours):
            c.get_conf().set_credential("AKIDnew", "newkey", "tok")
            c.get_conf().set_ip_port("10.0.0.1", 8080)
        assert ours.get_auth("GET", "b-1", "k") == sdk.get_auth("GET", "b-1", "k")
        assert ours.get_object_url("b-1", "k") == sdk.get_object_url("b-1", "k") == "https://10.0.0.1:8080/k"
        assert ours.get_conf()._token == "tok"
        # the SDK 1.9.44 raises AttributeError when Token is left out (after storing the pair)
        for c in (sdk, ours):
            with pytest.raises(AttributeError):
                c.get_conf().set_credential("AKIDthird", "thirdkey")
        assert ours.get_auth("GET", "b-1", "k") == sdk.get_auth("GET", "b-1", "k")
        assert "AKIDthird" in ours.get_auth("GET", "b-1", "k")


@pytest.mark.parametrize("secret_id", ["AKIDa", "AKIDa&x=y", "AKID=b"])
def test_headers_dict_gets_the_authorization_like_the_sdk(secret_id):
    sdk, ours = _pair(Region="ap-beijing", SecretId=secret_id, SecretKey=SECRET_KEY)
    with frozen_time(NOW):
        h1, h2 = {"Content-Type": "text/plain"}, {"Content-Type": "text/plain"}
        a1 = sdk.get_auth("PUT", "b-1", "k", Headers=h1)
        a2 = ours.get_auth("PUT", "b-1", "k", Headers=h2)
        assert a1 == a2 and h1 == h2 == {"Content-Type": "text/plain", "Authorization": a1}
        for call in ("get_presigned_url", "get_presigned_download_url"):
            h1, h2 = {"x-cos-acl": "private"}, {"x-cos-acl": "private"}
            args = ("b-1", "k", "PUT") if call == "get_presigned_url" else ("b-1", "k")
            u1 = getattr(sdk, call)(*args, Params={"p": "1"}, Headers=h1)
            u2 = getattr(ours, call)(*args, Params={"p": "1"}, Headers=h2)
            assert u1 == u2 and h1 == h2 and "q-signature=" in h2["Authorization"]


def test_client_error_like_the_sdk():
    ours, sdk = cos_sign.CosClientError("boom"), cos_exception.CosClientError("boom")
    assert str(ours) == str(sdk) == "boom"
    assert ours.args == sdk.args
    assert isinstance(ours, cos_sign.CosException) and isinstance(ours, Exception)
    with pytest.raises(cos_sign.CosClientError, match="Scheme can be only set to http/https"):
        cos_sign.CosConfig(Region="ap-beijing", SecretId="a", SecretKey="b", Scheme="ftp")


@pytest.mark.parametrize("body", [
    "<?xml version='1.0' encoding='utf-8' ?><Error><Code>NoSuchKey</Code><Message>gone</Message>"
    "<Resource>b.cos.ap-beijing.myqcloud.com/k</Resource><RequestId>NjQ1</RequestId>"
    "<TraceId>OGVm</TraceId></Error>",
    "<Error><Code>AccessDenied</Code><Message>no</Message><Resource>r</Resource>"
    "<RequestId>id</RequestId></Error>",
    '{"code": "x"}', "not a body", {"code": "C", "message": "m", "resource": "r", "requestid": "q",
                                     "traceid": "t"},
])
def test_service_error_accessors_like_the_sdk(body):
    ours = cos_sign.CosServiceError("PUT", body, 404)
    sdk = cos_exception.CosServiceError("PUT", body, 404)
    assert str(ours) == str(sdk)
    for m in ["get_origin_msg", "get_digest_msg", "get_status_code", "get_error_code", "get_error_msg",
              "get_resource_location", "get_trace_id", "get_request_id"]:
        try:
            want = ("ok", getattr(sdk, m)())
        except Exception as e:  # noqa: BLE001 - e.g. KeyError on a JSON body without "code"
            want = ("error", type(e).__name__)
        try:
            got = ("ok", getattr(ours, m)())
        except Exception as e:  # noqa: BLE001
            got = ("error", type(e).__name__)
        assert got == want, m


def test_no_secret_in_repr_or_errors():
    conf = cos_sign.CosConfig(Region="ap-beijing", SecretId="AKIDvisible", SecretKey=SECRET_KEY, Token="TOKENsecret")
    client = cos_sign.CosS3Client(conf)
    for text in (repr(conf), str(conf), repr(client), str(client)):
        assert SECRET_KEY not in text and "TOKENsecret" not in text
    with pytest.raises(cos_sign.CosClientError) as e:
        client.get_auth("GET", "bad/bucket", "k")
    assert SECRET_KEY not in str(e.value) and SECRET_KEY not in repr(e.value)
    with pytest.raises(cos_sign.CosClientError) as e:
        cos_sign.CosConfig(Region="ap-beijing", SecretId="AKIDa", SecretKey=" " + SECRET_KEY)
    assert SECRET_KEY not in str(e.value)


def test_exceptions_are_exported_and_picklable():
    e = pickle.loads(pickle.dumps(cos_sign.CosClientError("m")))
    assert type(e) is cos_sign.CosClientError and str(e) == "m"
    assert cos_sign.CosClientError.__module__.startswith("cos_sign")


@pytest.mark.parametrize("method,domain", [
    ("\u1c89", None), ("PUT\U00010d50", None), ("\u03a3\u1c89\u03a3", None), ("\ua7cb", None),
    ("GET", "CDN\u1c89.example.com"), ("GET", "\U00016ea0.example.com"),
])
def test_lowercasing_is_python_3_11s(method, domain):
    # Python 3.11 lowercases with Unicode 14.0; Rust's tables are newer and map a few more
    # letters (U+1C89, U+A7CB, Garay, Kirat Rai...): the method and the signed host must be
    # lowercased as the SDK running on Python 3.11 does.
    cfg = {"Region": "ap-beijing", "SecretId": "AKIDu", "SecretKey": SECRET_KEY}
    if domain:
        cfg["Domain"] = domain
    sdk, ours = _pair(**cfg)
    with frozen_time(NOW):
        assert ours.get_auth(method, "b-1", "k") == sdk.get_auth(method, "b-1", "k")
        assert ours.get_presigned_url("b-1", "k", method) == sdk.get_presigned_url("b-1", "k", method)
