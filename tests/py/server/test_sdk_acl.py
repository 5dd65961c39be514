"""ACLs through the official SDK (qcloud_cos 1.9.44) and anonymous reads with plain HTTP:
`ACL=` on uploads, PUT/GET Object acl and Bucket acl (headers and AccessControlPolicy
bodies), and the URL of `get_object_url` fetched with `requests` and `urllib` (no signature)
before and after an object or its bucket is made public; the SDK's anonymous mode
(`Anonymous=True`) uploading in parts and copying into a public-read-write bucket; on the disk
store (across a restart) and the memory store. Each test uses its own bucket, so bucket ACLs do not meet."""

import os
import urllib.error
import urllib.request

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from server_helpers import REGION, Server, ip_client, parse_error

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
APPID = "1250000000"
OWNER = f"qcs::cam::uin/{APPID}:uin/{APPID}"


def service_error(call):
    with pytest.raises(CosServiceError) as info:
        call()
    return info.value


def bucket_name(tag):
    return f"acl{tag}-{APPID}"


def host(bucket):
    return f"{bucket}.cos.{REGION}.myqcloud.com"


def anonymous_get(server, bucket, key, method="GET", params=None, headers=None):
    """A plain request to the server, without any signature, for `bucket`'s host."""
    h = {"Host": host(bucket), **(headers or {})}
    return requests.request(method, f"{server.url}/{key}", headers=h, params=params, timeout=30)


def grants(acl):
    return sorted(
        (g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Grantee"]["Type"], g["Permission"])
        for g in acl["AccessControlList"]["Grant"]
    )


def test_object_acl_round_trip_and_anonymous_reads(any_server):
    client = ip_client(any_server)
    bucket = bucket_name("obj")
    key = "pub/page.html"
    client.put_object(Bucket=bucket, Key=key, Body=b"<p>hi</p>", ContentType="text/html")
    acl = client.get_object_acl(Bucket=bucket, Key=key)
    assert acl["Owner"]["ID"] == OWNER
    assert acl["CannedACL"] == "default"
    assert grants(acl) == [(OWNER, "CanonicalUser", "FULL_CONTROL")]
    r = anonymous_get(any_server, bucket, key)
    assert (r.status_code, parse_error(r.content)["Code"]) == (403, "AccessDenied")

    client.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
    acl = client.get_object_acl(Bucket=bucket, Key=key)
    assert acl["CannedACL"] == "public-read"
    assert grants(acl) == [(ALL_USERS, "Group", "READ"), (OWNER, "CanonicalUser", "FULL_CONTROL")]
    r = anonymous_get(any_server, bucket, key)
    assert (r.status_code, r.content, r.headers["Content-Type"]) == (200, b"<p>hi</p>", "text/html")
    # Exactly what a signed GET answers (but the request ids).
    signed = client.get_object(Bucket=bucket, Key=key)
    for name in ("ETag", "Last-Modified", "Content-Length", "Content-Type"):
        assert r.headers[name] == signed[name]
    head = anonymous_get(any_server, bucket, key, method="HEAD")
    assert (head.status_code, head.headers["Content-Length"]) == (200, "9")
    ranged = anonymous_get(any_server, bucket, key, headers={"Range": "bytes=3-4"})
    assert (ranged.status_code, ranged.content) == (206, b"hi")
    # response-* overrides need a signature; ?acl and ?tagging stay signed-only.
    for params in ({"response-content-type": "text/plain"}, {"acl": ""}, {"tagging": ""}):
        r = anonymous_get(any_server, bucket, key, params=params)
        assert (r.status_code, parse_error(r.content)["Code"]) == (403, "AccessDenied"), params

    client.put_object_acl(Bucket=bucket, Key=key, ACL="private")
    assert client.get_object_acl(Bucket=bucket, Key=key)["CannedACL"] == "private"
    assert anonymous_get(any_server, bucket, key).status_code == 403


def test_get_object_url_is_fetched_without_a_signature(any_server):
    client = ip_client(any_server)
    bucket = bucket_name("url")
    key = "assets/logo 1.png"
    client.put_object(Bucket=bucket, Key=key, Body=b"PNG")
    url = client.get_object_url(Bucket=bucket, Key=key)
    assert "q-signature" not in url and url.startswith(f"http://127.0.0.1:{any_server.port}/")
    assert requests.get(url, headers={"Host": host(bucket)}, timeout=30).status_code == 403

    client.put_object(Bucket=bucket, Key=key, Body=b"PNG", ACL="public-read")
    got = requests.get(url, headers={"Host": host(bucket)}, timeout=30)
    assert (got.status_code, got.content) == (200, b"PNG")
    req = urllib.request.Request(url, headers={"Host": host(bucket)})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.read() == b"PNG"

    # A new upload without ACL starts from default: the private bucket keeps it closed.
    client.delete_object(Bucket=bucket, Key=key)
    client.put_object(Bucket=bucket, Key=key, Body=b"PNG2")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host(bucket)}), timeout=30)
    assert info.value.code == 403


def test_bucket_acl_opens_default_objects_and_listing(any_server):
    client = ip_client(any_server)
    bucket = bucket_name("bkt")
    client.put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    client.put_object(Bucket=bucket, Key="secret.txt", Body=b"s", ACL="private")
    acl = client.get_bucket_acl(Bucket=bucket)
    assert (acl["Owner"]["ID"], acl["CannedACL"]) == (OWNER, "private")
    assert anonymous_get(any_server, bucket, "").status_code == 403

    client.put_bucket_acl(Bucket=bucket, ACL="public-read")
    acl = client.get_bucket_acl(Bucket=bucket)
    assert acl["CannedACL"] == "public-read"
    assert anonymous_get(any_server, bucket, "a.txt").content == b"a"
    assert anonymous_get(any_server, bucket, "secret.txt").status_code == 403
    missing = anonymous_get(any_server, bucket, "missing.txt")
    assert (missing.status_code, parse_error(missing.content)["Code"]) == (404, "NoSuchKey")
    listing = anonymous_get(any_server, bucket, "")
    assert listing.status_code == 200 and b"<Key>a.txt</Key>" in listing.content
    # Writes stay closed under public-read.
    r = requests.put(f"{any_server.url}/w.txt", data=b"w", headers={"Host": host(bucket)}, timeout=30)
    assert (r.status_code, parse_error(r.content)["Code"]) == (403, "AccessDenied")

    client.put_bucket_acl(Bucket=bucket, ACL="public-read-write", GrantWrite='id="100000000002"')
    acl = client.get_bucket_acl(Bucket=bucket)
    assert acl["CannedACL"] == "public-read-write"
    assert ("qcs::cam::uin/100000000002:uin/100000000002", "CanonicalUser", "WRITE") in grants(acl)
    r = requests.put(f"{any_server.url}/w.txt", data=b"w", headers={"Host": host(bucket)}, timeout=30)
    assert r.status_code == 200
    assert client.get_object(Bucket=bucket, Key="w.txt")["Body"].get_raw_stream().read() == b"w"
    r = requests.put(
        f"{any_server.url}/w.txt", data=b"w", headers={"Host": host(bucket), "x-cos-acl": "public-read"}, timeout=30
    )
    assert r.status_code == 403
    r = requests.delete(f"{any_server.url}/w.txt", headers={"Host": host(bucket)}, timeout=30)
    assert r.status_code == 204

    # An AccessControlPolicy body: GET's answer sent back is the same ACL.
    policy = {
        "Owner": {"ID": OWNER},
        "AccessControlList": {
            "Grant": [
                {"Grantee": {"@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "@xsi:type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
                {"Grantee": {"@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "@xsi:type": "CanonicalUser", "ID": "100000000003"}, "Permission": "WRITE"},
            ]
        },
    }
    client.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
    acl = client.get_bucket_acl(Bucket=bucket)
    assert acl["CannedACL"] == "public-read"
    assert grants(acl) == [
        (ALL_USERS, "Group", "READ"),
        ("qcs::cam::uin/100000000003:uin/100000000003", "CanonicalUser", "WRITE"),
        (OWNER, "CanonicalUser", "FULL_CONTROL"),
    ]


def test_bad_acls_are_refused_and_change_nothing(any_server):
    client = ip_client(any_server)
    bucket = bucket_name("bad")
    key = "bad.txt"
    client.put_object(Bucket=bucket, Key=key, Body=b"x", ACL="public-read")
    for kwargs in ({"ACL": "public-read-write"}, {"ACL": "public"}, {"GrantRead": "id=\"abc\""}, {"GrantRead": "100"}):
        err = service_error(lambda: client.put_object_acl(Bucket=bucket, Key=key, **kwargs))
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument"), kwargs
        err = service_error(lambda: client.put_object(Bucket=bucket, Key="fresh.txt", Body=b"x", **kwargs))
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument"), kwargs
    err = service_error(lambda: client.put_bucket_acl(Bucket=bucket, ACL="default"))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    # Header and body together, and neither.
    policy = {"AccessControlList": {"Grant": [{"Grantee": {"ID": "1"}, "Permission": "READ"}]}}
    err = service_error(lambda: client.put_object_acl(Bucket=bucket, Key=key, AccessControlPolicy=policy, ACL="private"))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    err = service_error(lambda: client.put_object_acl(Bucket=bucket, Key=key))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    bad_permission = {"AccessControlList": {"Grant": [{"Grantee": {"ID": "1"}, "Permission": "EVERYTHING"}]}}
    err = service_error(lambda: client.put_object_acl(Bucket=bucket, Key=key, AccessControlPolicy=bad_permission))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    err = service_error(lambda: client.put_object_acl(Bucket=bucket, Key=key, AccessControlPolicy={"Nothing": ""}))
    assert (err.get_status_code(), err.get_error_code()) == (400, "MalformedXML")
    # Nothing changed, nothing was stored.
    assert client.get_object_acl(Bucket=bucket, Key=key)["CannedACL"] == "public-read"
    assert service_error(lambda: client.head_object(Bucket=bucket, Key="fresh.txt")).get_status_code() == 404
    err = service_error(lambda: client.get_object_acl(Bucket=bucket, Key="missing.txt"))
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchKey")


def test_multipart_and_copy_acls(any_server):
    client = ip_client(any_server)
    bucket = bucket_name("mp")
    key = "mp.bin"
    up = client.create_multipart_upload(Bucket=bucket, Key=key, ACL="public-read")
    part = client.upload_part(Bucket=bucket, Key=key, Body=b"m" * 10, PartNumber=1, UploadId=up["UploadId"])
    # Not an object yet: nothing to read anonymously.
    assert anonymous_get(any_server, bucket, key).status_code == 403
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    )
    assert client.get_object_acl(Bucket=bucket, Key=key)["CannedACL"] == "public-read"
    assert anonymous_get(any_server, bucket, key).content == b"m" * 10
    # A copy starts from default unless the copy request names an ACL.
    source = {"Bucket": bucket, "Key": key, "Region": REGION}
    client.copy_object(Bucket=bucket, Key="copy.bin", CopySource=source)
    assert client.get_object_acl(Bucket=bucket, Key="copy.bin")["CannedACL"] == "default"
    assert anonymous_get(any_server, bucket, "copy.bin").status_code == 403
    client.copy_object(Bucket=bucket, Key="copy2.bin", CopySource=source, ACL="public-read")
    assert anonymous_get(any_server, bucket, "copy2.bin").status_code == 200


def anonymous_client(server):
    """The SDK with `Anonymous=True`: its requests carry a blank `Authorization`, no signature."""
    conf = CosConfig(Region=REGION, Anonymous=True, IP="127.0.0.1", Port=server.port, Scheme="http")
    return CosS3Client(conf, retry=0)


def test_anonymous_multipart_upload_and_copy_through_the_sdk(any_server):
    """qcloud_cos without keys uploads in parts and copies into a public-read-write bucket, the
    writes COS's ACL overview lists under a bucket's WRITE; Abort and List Parts, which it does
    not list, and a copy of a private object stay 403."""
    client = ip_client(any_server)
    anon = anonymous_client(any_server)
    bucket = bucket_name("anonmp")
    key = "mp.bin"
    client.put_object(Bucket=bucket, Key="public.txt", Body=b"public")
    client.put_object(Bucket=bucket, Key="secret.txt", Body=b"secret", ACL="private")
    err = service_error(lambda: anon.create_multipart_upload(Bucket=bucket, Key=key))
    assert (err.get_status_code(), err.get_error_code()) == (403, "AccessDenied")

    client.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    first, last = os.urandom(1024 * 1024), b"the last part"
    up = anon.create_multipart_upload(Bucket=bucket, Key=key)
    etags = [
        anon.upload_part(Bucket=bucket, Key=key, Body=body, PartNumber=n, UploadId=up["UploadId"], EnableMD5=True)["ETag"]
        for n, body in ((1, first), (2, last))
    ]
    parts = [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]
    anon.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Part": parts})
    assert client.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read() == first + last
    assert client.get_object_acl(Bucket=bucket, Key=key)["CannedACL"] == "default"

    pending = anon.create_multipart_upload(Bucket=bucket, Key="pending.bin")["UploadId"]
    for call in (
        lambda: anon.abort_multipart_upload(Bucket=bucket, Key="pending.bin", UploadId=pending),
        lambda: anon.list_parts(Bucket=bucket, Key="pending.bin", UploadId=pending),
    ):
        err = service_error(call)
        assert (err.get_status_code(), err.get_error_code()) == (403, "AccessDenied")
    assert client.list_parts(Bucket=bucket, Key="pending.bin", UploadId=pending)["UploadId"] == pending

    source = {"Bucket": bucket, "Key": "public.txt", "Region": REGION}
    anon.copy_object(Bucket=bucket, Key="copy.txt", CopySource=source)
    assert client.get_object(Bucket=bucket, Key="copy.txt")["Body"].get_raw_stream().read() == b"public"
    secret = {"Bucket": bucket, "Key": "secret.txt", "Region": REGION}
    err = service_error(lambda: anon.copy_object(Bucket=bucket, Key="leak.txt", CopySource=secret))
    assert (err.get_status_code(), err.get_error_code()) == (403, "AccessDenied")
    assert service_error(lambda: client.head_object(Bucket=bucket, Key="leak.txt")).get_status_code() == 404


def test_disk_store_keeps_acls_across_a_restart(server_binary, tmp_path):
    bucket = bucket_name("restart")
    first = Server(server_binary, tmp_path)
    try:
        client = ip_client(first)
        client.put_object(Bucket=bucket, Key="kept.txt", Body=b"k")
        client.put_object_acl(Bucket=bucket, Key="kept.txt", ACL="public-read", GrantFullControl='id="100000000009"')
        client.put_object(Bucket=bucket, Key="closed.txt", Body=b"c", ACL="private")
        client.put_bucket_acl(Bucket=bucket, ACL="public-read")
    finally:
        first.stop()
    second = Server(server_binary, tmp_path, extra=("--owner-uin", "100000000001"))
    try:
        client = ip_client(second)
        acl = client.get_object_acl(Bucket=bucket, Key="kept.txt")
        assert acl["Owner"]["ID"] == "qcs::cam::uin/100000000001:uin/100000000001"
        assert ("qcs::cam::uin/100000000009:uin/100000000009", "CanonicalUser", "FULL_CONTROL") in grants(acl)
        assert client.get_bucket_acl(Bucket=bucket)["CannedACL"] == "public-read"
        assert anonymous_get(second, bucket, "kept.txt").content == b"k"
        assert anonymous_get(second, bucket, "closed.txt").status_code == 403
        assert " anonymous" in second.logs()
    finally:
        second.stop()
