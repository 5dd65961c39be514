"""Pre-signed URLs and Authorization headers made by the official SDK, sent with `requests`
through the local server used as an HTTP proxy (the URL keeps the real COS host, so `Host` is
what the SDK signed), then tampered or expired."""

import hashlib
import logging
import re
import time
from email.utils import parsedate_to_datetime
from unittest import mock
from urllib.parse import quote

import pytest
import requests
from qcloud_cos import cos_auth

from server_helpers import (
    BUCKET,
    HOST,
    PERM_ID,
    PERM_KEY,
    REGION,
    TEMP_ID,
    TEMP_KEY,
    TEMP_TOKEN,
    cos_client,
    ip_client,
    parse_error,
)

SDK_LOGGER = "qcloud_cos.cos_auth"


def sdk_strings(caplog):
    """The FormatString (HttpString) and StringToSign of the SDK's last signature, from its
    debug log."""
    fmt = [r.getMessage()[len("format str: "):] for r in caplog.records
           if r.name == SDK_LOGGER and r.getMessage().startswith("format str: ")]
    sts = [r.getMessage()[len("str_to_sign: "):] for r in caplog.records
           if r.name == SDK_LOGGER and r.getMessage().startswith("str_to_sign: ")]
    assert fmt and sts, "the SDK logged no signature"
    return fmt[-1], sts[-1]


def string_to_sign(sign_time, format_string):
    return f"sha1\n{sign_time}\n{hashlib.sha1(format_string.encode()).hexdigest()}\n"


def q_param(url, name):
    m = re.search(rf"[?&]{name}=([^&]*)", url)
    assert m, (name, url)
    return m.group(1)


def key_time(url, name="q-key-time"):
    start, end = q_param(url, name).split("%3B")
    return int(start), int(end)


def expect_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.text)
    fields = parse_error(resp.content)
    assert fields["Code"] == code, fields
    assert fields["RequestId"] == resp.headers["x-cos-request-id"]
    return fields


@pytest.fixture
def sdk_log(caplog):
    caplog.set_level(logging.DEBUG, logger=SDK_LOGGER)
    return caplog


def put_object(server, key, data):
    ip_client(server).put_object(Bucket=BUCKET, Body=data, Key=key)


def test_presigned_put_then_get(server, presigner):
    key = "presigned/品 a+b%c ./d.bin"
    data = bytes(range(256)) * 64
    url = presigner.get_presigned_url(Bucket=BUCKET, Key=key, Method="PUT", Expired=300)
    assert url.startswith(f"http://{HOST}/")
    r = requests.put(url, data=data, proxies=server.proxies)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'

    url = presigner.get_presigned_download_url(Bucket=BUCKET, Key=key, Expired=300)
    r = requests.get(url, proxies=server.proxies)
    assert r.status_code == 200, r.text
    assert r.content == data
    assert r.headers["Content-Length"] == str(len(data))
    assert r.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'

    url = presigner.get_presigned_url(Bucket=BUCKET, Key=key, Method="HEAD")
    r = requests.head(url, proxies=server.proxies)
    assert r.status_code == 200 and r.headers["Content-Length"] == str(len(data))

    url = presigner.get_presigned_url(Bucket=BUCKET, Key=key, Method="DELETE")
    assert requests.delete(url, proxies=server.proxies).status_code == 204
    url = presigner.get_presigned_download_url(Bucket=BUCKET, Key=key)
    expect_error(requests.get(url, proxies=server.proxies), 404, "NoSuchKey")


def test_presigned_with_signed_params_and_headers(server, presigner):
    key = "presigned/with-params.txt"
    data = b'{"a": 1}'
    url = presigner.get_presigned_url(
        Bucket=BUCKET, Key=key, Method="PUT",
        Headers={"Content-Type": "application/json", "x-cos-meta-note": "a b/c"},
        Params={"note": "spaces and + plus; semi", "empty": ""},
    )
    assert "note=spaces+and+%2B+plus%3B+semi" in url
    r = requests.put(url, data=data, proxies=server.proxies,
                     headers={"Content-Type": "application/json", "x-cos-meta-note": "a b/c"})
    assert r.status_code == 200, r.text
    url = presigner.get_presigned_download_url(
        Bucket=BUCKET, Key=key, Params={"response-cache-control": "no-cache"})
    r = requests.get(url, proxies=server.proxies)
    assert r.status_code == 200, r.text
    assert r.content == data
    assert r.headers["Content-Type"] == "application/json"


def test_presigned_temporary_key(server):
    c = cos_client(TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    key = "presigned/temporary.txt"
    url = c.get_presigned_url(Bucket=BUCKET, Key=key, Method="PUT",
                              Params={"x-cos-security-token": TEMP_TOKEN})
    r = requests.put(url, data=b"tmp", proxies=server.proxies)
    assert r.status_code == 200, r.text
    url = c.get_presigned_download_url(Bucket=BUCKET, Key=key,
                                       Params={"x-cos-security-token": TEMP_TOKEN})
    assert requests.get(url, proxies=server.proxies).content == b"tmp"
    # The SDK does not add the token by itself: without it the temporary key is refused.
    url = c.get_presigned_download_url(Bucket=BUCKET, Key=key)
    expect_error(requests.get(url, proxies=server.proxies), 403, "InvalidAccessKeyId")
    # The token in a header (unsigned) works too; a wrong one does not.
    r = requests.get(url, proxies=server.proxies, headers={"x-cos-security-token": TEMP_TOKEN})
    assert r.status_code == 200, r.text
    r = requests.get(url, proxies=server.proxies, headers={"x-cos-security-token": "other"})
    expect_error(r, 403, "AccessDenied")


def test_ip_mode_presigned_url_signs_the_wrong_host(server, sdk_log):
    """In IP mode the SDK signs host=127.0.0.1 (no port) but the request carries the port:
    COS would refuse it, and so does the server (the host comparison is never loosened)."""
    c = ip_client(server)
    put_object(server, "ip-mode.txt", b"x")
    url = c.get_presigned_download_url(Bucket=BUCKET, Key="ip-mode.txt")
    assert url.startswith(f"http://127.0.0.1:{server.port}/")
    fields = expect_error(requests.get(url), 403, "SignatureDoesNotMatch")
    sdk_fmt, _ = sdk_strings(sdk_log)
    assert "host=127.0.0.1\n" in sdk_fmt
    assert fields["FormatString"] == sdk_fmt.replace(
        "host=127.0.0.1\n", f"host=127.0.0.1%3A{server.port}\n")


def test_authorization_header_via_proxy(server, presigner, sdk_log):
    key = "header-auth.txt"
    data = b"signed with get_auth"
    auth = presigner.get_auth(Method="PUT", Bucket=BUCKET, Key=key,
                              Headers={"Content-Type": "text/plain"})
    url = f"http://{HOST}/{key}"
    headers = {"Authorization": auth, "Content-Type": "text/plain"}
    r = requests.put(url, data=data, headers=headers, proxies=server.proxies)
    assert r.status_code == 200, r.text
    # Tampered: one header value changed.
    r = requests.put(url, data=data, proxies=server.proxies,
                     headers={"Authorization": auth, "Content-Type": "text/html"})
    fields = expect_error(r, 403, "SignatureDoesNotMatch")
    sdk_fmt, _ = sdk_strings(sdk_log)
    assert fields["FormatString"] == sdk_fmt.replace("content-type=text%2Fplain",
                                                     "content-type=text%2Fhtml")
    # Tampered: the last signature digit changed.
    sig = re.search(r"q-signature=([0-9a-f]{40})", auth).group(1)
    bad = auth.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    r = requests.put(url, data=data, proxies=server.proxies,
                     headers={"Authorization": bad, "Content-Type": "text/plain"})
    fields = expect_error(r, 403, "SignatureDoesNotMatch")
    sdk_fmt, sdk_sts = sdk_strings(sdk_log)
    assert fields["FormatString"] == sdk_fmt
    assert fields["StringToSign"] == sdk_sts
    # Nothing was written by the refused requests.
    r = requests.get(presigner.get_presigned_download_url(Bucket=BUCKET, Key=key),
                     proxies=server.proxies)
    assert r.content == data and r.headers["Content-Type"] == "text/plain"


def flip_last_hex(s):
    return s[:-1] + ("0" if s[-1] != "0" else "1")


# Each case: (name, how to make the URL, how to tamper with it, expected code, expected
# FormatString derived from the SDK's original one, or None).
def _tamper_cases():
    key = "tamper/object.txt"

    def plain_url(c=None, **kw):
        return (c or cos_client()).get_presigned_download_url(Bucket=BUCKET, Key=key, **kw)

    return [
        ("other-secret-key",
         lambda: plain_url(cos_client(PERM_ID, "another-secret-key")),
         lambda url: url, "SignatureDoesNotMatch", lambda fmt: fmt),
        ("unknown-secret-id",
         lambda: plain_url(cos_client("AKIDnotConfiguredAnywhere", PERM_KEY)),
         lambda url: url, "InvalidAccessKeyId", None),
        ("changed-param",
         lambda: plain_url(Params={"response-content-type": "text/plain"}),
         lambda url: url.replace("response-content-type=text%2Fplain",
                                 "response-content-type=text%2Fhtml"),
         "SignatureDoesNotMatch",
         lambda fmt: fmt.replace("response-content-type=text%2Fplain",
                                 "response-content-type=text%2Fhtml")),
        ("removed-signed-param",
         lambda: plain_url(Params={"response-content-type": "text/plain"}),
         lambda url: url.replace("&response-content-type=text%2Fplain", ""),
         "SignatureDoesNotMatch",
         lambda fmt: fmt.replace("response-content-type=text%2Fplain",
                                 "response-content-type=")),
        ("changed-key",
         lambda: plain_url(),
         lambda url: url.replace("/tamper/object.txt", "/tamper/other.txt"),
         "SignatureDoesNotMatch",
         lambda fmt: fmt.replace("/tamper/object.txt", "/tamper/other.txt")),
        ("changed-host",
         lambda: plain_url(),
         lambda url: url.replace(HOST, f"otherbucket-1250000000.cos.{REGION}.myqcloud.com"),
         "SignatureDoesNotMatch",
         lambda fmt: fmt.replace(HOST, f"otherbucket-1250000000.cos.{REGION}.myqcloud.com")),
        ("changed-key-time-end",
         lambda: plain_url(),
         lambda url: re.sub(r"(q-key-time=\d+%3B)(\d+)",
                            lambda m: m.group(1) + str(int(m.group(2)) + 1), url),
         "SignatureDoesNotMatch", lambda fmt: fmt),
        ("extended-expiry",
         lambda: plain_url(),
         lambda url: re.sub(r"(q-(?:key|sign)-time=\d+%3B)(\d+)",
                            lambda m: m.group(1) + str(int(m.group(2)) + 3600), url),
         "SignatureDoesNotMatch", lambda fmt: fmt),
        ("signature-byte",
         lambda: plain_url(),
         lambda url: re.sub(r"q-signature=([0-9a-f]{40})",
                            lambda m: "q-signature=" + flip_last_hex(m.group(1)), url),
         "SignatureDoesNotMatch", lambda fmt: fmt),
    ]


TAMPER_CASES = _tamper_cases()
SIGNED_WITH_OTHER_KEY = ("other-secret-key", "unknown-secret-id")


@pytest.mark.parametrize("case", TAMPER_CASES, ids=[c[0] for c in TAMPER_CASES])
def test_tampered_presigned_url(server, sdk_log, case):
    name, make, tamper, code, expect_fmt = case
    put_object(server, "tamper/object.txt", b"original")
    url = make()
    sdk_fmt, sdk_sts = sdk_strings(sdk_log)
    untampered = requests.get(url, proxies=server.proxies)
    if name in SIGNED_WITH_OTHER_KEY:
        assert untampered.status_code == 403
        bad_url = url
    else:
        assert untampered.status_code == 200, untampered.text
        assert untampered.content == b"original"
        bad_url = tamper(url)
        assert bad_url != url
    fields = expect_error(requests.get(bad_url, proxies=server.proxies), 403, code)
    if code == "SignatureDoesNotMatch":
        assert fields["Message"]
        assert fields["FormatString"] == expect_fmt(sdk_fmt)
        sign_time = q_param(bad_url, "q-sign-time").replace("%3B", ";")
        assert fields["StringToSign"] == string_to_sign(sign_time, fields["FormatString"])
        if name in ("other-secret-key", "changed-key-time-end", "signature-byte"):
            assert fields["StringToSign"] == sdk_sts


def test_tampered_signed_header_value(server, presigner, sdk_log):
    key = "tamper/header.txt"
    url = presigner.get_presigned_url(Bucket=BUCKET, Key=key, Method="PUT",
                                      Headers={"x-cos-meta-owner": "alice"})
    sdk_fmt, _ = sdk_strings(sdk_log)
    r = requests.put(url, data=b"x", headers={"x-cos-meta-owner": "mallory"},
                     proxies=server.proxies)
    fields = expect_error(r, 403, "SignatureDoesNotMatch")
    assert fields["FormatString"] == sdk_fmt.replace("x-cos-meta-owner=alice",
                                                     "x-cos-meta-owner=mallory")
    # The signed header left out entirely: rebuilt with an empty value.
    r = requests.put(url, data=b"x", proxies=server.proxies)
    fields = expect_error(r, 403, "SignatureDoesNotMatch")
    assert fields["FormatString"] == sdk_fmt.replace("x-cos-meta-owner=alice",
                                                     "x-cos-meta-owner=")
    r = requests.put(url, data=b"x", headers={"x-cos-meta-owner": "alice"},
                     proxies=server.proxies)
    assert r.status_code == 200, r.text


def test_changed_method(server, presigner):
    url = presigner.get_presigned_download_url(Bucket=BUCKET, Key="tamper/method.txt")
    r = requests.put(url, data=b"x", proxies=server.proxies)
    fields = expect_error(r, 403, "SignatureDoesNotMatch")
    assert fields["FormatString"].startswith("put\n/tamper/method.txt\n")


def test_expired_presigned_url(server, presigner):
    put_object(server, "expired.txt", b"x")
    real = time.time
    with mock.patch.object(cos_auth.time, "time", lambda: real() - 120):
        url = presigner.get_presigned_download_url(Bucket=BUCKET, Key="expired.txt", Expired=1)
    start, end = key_time(url)
    assert end < real() and start < end
    fields = expect_error(requests.get(url, proxies=server.proxies), 403, "AccessDenied")
    assert fields["Message"] == "Request has expired"


def test_expired_by_waiting(server, presigner):
    put_object(server, "expired-wait.txt", b"x")
    url = presigner.get_presigned_download_url(Bucket=BUCKET, Key="expired-wait.txt", Expired=1)
    assert requests.get(url, proxies=server.proxies).status_code == 200
    _, end = key_time(url)
    while time.time() < end + 1.05:
        time.sleep(0.1)
    fields = expect_error(requests.get(url, proxies=server.proxies), 403, "AccessDenied")
    assert fields["Message"] == "Request has expired"


def test_expired_on_a_server_clock_ahead(future_server, presigner):
    url = presigner.get_presigned_download_url(Bucket=BUCKET, Key="anything", Expired=300)
    fields = expect_error(requests.get(url, proxies=future_server.proxies), 403, "AccessDenied")
    assert fields["Message"] == "Request has expired"
    # The server's Date header shows its own (skewed) clock.
    date = parsedate_to_datetime(
        requests.get(url, proxies=future_server.proxies).headers["Date"])
    assert abs(date.timestamp() - (time.time() + 86400)) < 30


def test_key_with_reserved_characters(server, presigner):
    key = "a/b c+d%e?f#g&h=i;j ./k 腾讯.txt"
    url = presigner.get_presigned_url(Bucket=BUCKET, Key=key, Method="PUT")
    assert quote("a/b c", safe="/") in url
    r = requests.put(url, data=b"reserved", proxies=server.proxies)
    assert r.status_code == 200, r.text
    got = ip_client(server).get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == b"reserved"
