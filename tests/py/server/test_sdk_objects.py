"""The official SDK (`qcloud_cos`, IP mode) against the local server: object calls."""

import base64
import hashlib
import time
from unittest import mock

import pytest
import requests
from qcloud_cos import cos_auth
from qcloud_cos.cos_exception import CosServiceError

from server_helpers import (
    BUCKET,
    HOST,
    PERM_ID,
    PERM_KEY,
    TEMP_ID,
    TEMP_KEY,
    TEMP_TOKEN,
    ip_client,
    parse_error,
)


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def bucket_files(server):
    d = server.data_dir / BUCKET
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def service_error(call):
    with pytest.raises(CosServiceError) as info:
        call()
    return info.value


def test_put_get_head_delete(server, client):
    key = "dir/hello 腾讯云 +%&=.txt"
    data = b"hello from qcloud_cos\n" * 100
    put = client.put_object(Bucket=BUCKET, Body=data, Key=key, ContentType="text/plain")
    assert put["ETag"] == f'"{md5_hex(data)}"'
    assert put["x-cos-request-id"]

    got = client.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == data
    assert got["ETag"] == f'"{md5_hex(data)}"'
    assert got["Content-Type"] == "text/plain"
    assert got["Content-Length"] == str(len(data))
    assert got["Last-Modified"].endswith(" GMT")
    assert got["Date"].endswith(" GMT")
    assert got["x-cos-request-id"]

    head = client.head_object(Bucket=BUCKET, Key=key)
    assert head["ETag"] == f'"{md5_hex(data)}"'
    assert head["Content-Length"] == str(len(data))
    assert head["Content-Type"] == "text/plain"

    # One object file in the bucket folder, no temporary file left.
    names = bucket_files(server)
    assert "dir%2Fhello%20%E8%85%BE%E8%AE%AF%E4%BA%91%20%2B%25%26%3D.txt" in names
    assert not [n for n in names if n.startswith(".tmp-")]

    client.delete_object(Bucket=BUCKET, Key=key)
    e = service_error(lambda: client.head_object(Bucket=BUCKET, Key=key))
    assert e.get_status_code() == 404
    e = service_error(lambda: client.get_object(Bucket=BUCKET, Key=key))
    assert e.get_status_code() == 404
    assert e.get_error_code() == "NoSuchKey"
    assert e.get_resource_location() == f"{HOST}/dir/hello%20%E8%85%BE%E8%AE%AF%E4%BA%91%20%2B%25%26%3D.txt"
    assert e.get_request_id()


def test_overwrite_and_empty_object(client):
    key = "overwrite.bin"
    client.put_object(Bucket=BUCKET, Body=b"first version", Key=key)
    client.put_object(Bucket=BUCKET, Body=b"", Key=key)
    got = client.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == b""
    assert got["ETag"] == f'"{md5_hex(b"")}"'
    assert got["Content-Type"] == "application/octet-stream"


def test_temporary_key_with_token(server):
    c = ip_client(server, TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    data = b"temporary key upload"
    key = "tmp/with-token.txt"
    put = c.put_object(Bucket=BUCKET, Body=data, Key=key)
    assert put["ETag"] == f'"{md5_hex(data)}"'
    assert c.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == data
    assert c.head_object(Bucket=BUCKET, Key=key)["Content-Length"] == str(len(data))
    c.delete_object(Bucket=BUCKET, Key=key)
    assert service_error(lambda: c.head_object(Bucket=BUCKET, Key=key)).get_status_code() == 404


def test_temporary_key_without_or_with_wrong_token(server):
    no_token = ip_client(server, TEMP_ID, TEMP_KEY)
    e = service_error(lambda: no_token.put_object(Bucket=BUCKET, Body=b"x", Key="t1"))
    assert (e.get_status_code(), e.get_error_code()) == (403, "InvalidAccessKeyId")
    wrong = ip_client(server, TEMP_ID, TEMP_KEY, TEMP_TOKEN + "x")
    e = service_error(lambda: wrong.put_object(Bucket=BUCKET, Body=b"x", Key="t1"))
    assert (e.get_status_code(), e.get_error_code()) == (403, "AccessDenied")
    ok = ip_client(server, TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    assert service_error(lambda: ok.head_object(Bucket=BUCKET, Key="t1")).get_status_code() == 404


def test_unknown_secret_id_and_wrong_secret_key(server):
    unknown = ip_client(server, "AKIDunknownExample", PERM_KEY)
    e = service_error(lambda: unknown.put_object(Bucket=BUCKET, Body=b"x", Key="k"))
    assert (e.get_status_code(), e.get_error_code()) == (403, "InvalidAccessKeyId")
    wrong = ip_client(server, PERM_ID, PERM_KEY + "x")
    e = service_error(lambda: wrong.put_object(Bucket=BUCKET, Body=b"x", Key="k"))
    assert (e.get_status_code(), e.get_error_code()) == (403, "SignatureDoesNotMatch")
    fields = parse_error(e.get_origin_msg())
    assert fields["FormatString"].startswith("put\n/k\n\n")
    assert f"host={HOST}" in fields["FormatString"]
    assert fields["StringToSign"].startswith("sha1\n")


def test_content_md5(server, client):
    data = b"checked body"
    put = client.put_object(Bucket=BUCKET, Body=data, Key="md5/ok", EnableMD5=True)
    assert put["ETag"] == f'"{md5_hex(data)}"'
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    e = service_error(
        lambda: client.put_object(Bucket=BUCKET, Body=data, Key="md5/bad", ContentMD5=wrong)
    )
    assert (e.get_status_code(), e.get_error_code()) == (400, "BadDigest")
    assert service_error(lambda: client.head_object(Bucket=BUCKET, Key="md5/bad")).get_status_code() == 404
    assert not [n for n in bucket_files(server) if n.startswith(".tmp-") or n == "md5%2Fbad"]


def test_unsigned_request_is_denied(server):
    r = requests.get(f"{server.url}/anything", headers={"Host": HOST})
    assert r.status_code == 403
    fields = parse_error(r.content)
    assert fields["Code"] == "AccessDenied"
    assert fields["RequestId"] == r.headers["x-cos-request-id"]
    assert r.headers["Content-Type"] == "application/xml"


def test_expired_by_server_clock(future_server):
    c = ip_client(future_server)
    e = service_error(lambda: c.put_object(Bucket=BUCKET, Body=b"x", Key="late"))
    assert (e.get_status_code(), e.get_error_code()) == (403, "AccessDenied")
    assert e.get_error_msg() == "Request has expired"


def test_signed_in_the_future_is_too_skewed(server, client):
    real = time.time
    with mock.patch.object(cos_auth.time, "time", lambda: real() + 3600):
        e = service_error(lambda: client.put_object(Bucket=BUCKET, Body=b"x", Key="early"))
    assert (e.get_status_code(), e.get_error_code()) == (403, "RequestTimeTooSkewed")


def test_object_versions_of_a_bucket_without_versioning(client):
    """The SDK's version listing and a delete of version `null`, as COS answers for a bucket
    that never had versioning: every object is its one version, `null`."""
    keys = ["versions/a", "versions/b c", "versions/d/中"]
    for k in keys:
        client.put_object(Bucket=BUCKET, Body=b"v", Key=k)
    seen, key_marker, version_marker = [], "", ""
    while True:
        page = client.list_objects_versions(
            Bucket=BUCKET, Prefix="versions/", MaxKeys=2, KeyMarker=key_marker, VersionIdMarker=version_marker
        )
        seen += page.get("Version", [])
        if page["IsTruncated"] == "false":
            break
        key_marker, version_marker = page["NextKeyMarker"], page["NextVersionIdMarker"]
    assert [v["Key"] for v in seen] == keys
    assert {(v["VersionId"], v["IsLatest"]) for v in seen} == {("null", "true")}
    client.delete_object(Bucket=BUCKET, Key="versions/a", VersionId="null")
    assert service_error(lambda: client.head_object(Bucket=BUCKET, Key="versions/a")).get_status_code() == 404
    e = service_error(lambda: client.get_object(Bucket=BUCKET, Key="versions/b c", VersionId="abc"))
    assert (e.get_status_code(), e.get_error_code()) == (400, "InvalidArgument")
