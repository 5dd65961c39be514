"""Object tagging and SSE-COS through the official SDK (qcloud_cos 1.9.44): the `Tagging`
header on uploads, PUT/GET/DELETE Object tagging, `x-cos-tagging-count`, COS's tag limits,
the tagging directive of a copy, `ServerSideEncryption='AES256'` echoed; on the disk store
(across a restart) and the memory store. Expected tags are the ones each test sent."""

import hashlib
import urllib.parse

import pytest
import requests
from qcloud_cos.cos_exception import CosServiceError

from server_helpers import BUCKET, Server, cos_client, ip_client, parse_error

MIB = 1024 * 1024
HOST = f"{BUCKET}.cos.ap-guangzhou.myqcloud.com"


def service_error(call):
    with pytest.raises(CosServiceError) as info:
        call()
    return info.value


def tag_set(*pairs):
    return {"TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in pairs]}}


def tags_of(client, key):
    """The object's tags as (key, value) pairs, in the order the server lists them."""
    got = client.get_object_tagging(Bucket=BUCKET, Key=key)
    return [(t["Key"], t.get("Value") or "") for t in (got.get("TagSet") or {}).get("Tag", [])]


def signed(server, method, key, headers=None, params=None, data=b""):
    """A raw request signed by the SDK (its Authorization header), sent with `requests`."""
    headers = dict(headers or {})
    params = dict(params or {})
    headers["Authorization"] = cos_client().get_auth(
        Method=method, Bucket=BUCKET, Key=key, Headers=headers, Params=params
    )
    headers["Host"] = HOST
    return requests.request(
        method, f"{server.url}/{key}", headers=headers, params=params, data=data, timeout=30
    )


def test_tags_on_put_object_then_replaced_read_and_deleted(any_server):
    client = ip_client(any_server)
    key = "tagging/put.txt"
    body = b"tagged bytes"
    put = client.put_object(Bucket=BUCKET, Key=key, Body=body, Tagging="team=a%20b&env=dev+x")
    assert tags_of(client, key) == [("team", "a b"), ("env", "dev x")]
    head = client.head_object(Bucket=BUCKET, Key=key)
    assert head["x-cos-tagging-count"] == "2"
    # The stored form is never sent back as a header.
    assert "x-cos-tagging" not in head
    got = client.get_object(Bucket=BUCKET, Key=key)
    assert got["x-cos-tagging-count"] == "2"
    assert got["Body"].get_raw_stream().read() == body

    # PUT Object tagging replaces the tags, and only them.
    client.put_object_tagging(
        Bucket=BUCKET, Key=key, Tagging=tag_set(("中文", "值"), ("k:1/2", "a+b=c@d."))
    )
    assert tags_of(client, key) == [("中文", "值"), ("k:1/2", "a+b=c@d.")]
    head2 = client.head_object(Bucket=BUCKET, Key=key)
    assert head2["x-cos-tagging-count"] == "2"
    assert head2["ETag"] == put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert head2["Last-Modified"] == head["Last-Modified"]
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == body

    # DELETE Object tagging: 204 (the SDK returns None), no count any more.
    assert client.delete_object_tagging(Bucket=BUCKET, Key=key) is None
    assert tags_of(client, key) == []
    assert "x-cos-tagging-count" not in client.head_object(Bucket=BUCKET, Key=key)
    r = signed(any_server, "DELETE", key, params={"tagging": ""})
    assert r.status_code == 204


def test_tags_of_a_missing_object_are_no_such_key(any_server):
    client = ip_client(any_server)
    key = "tagging/missing.txt"
    for call in (
        lambda: client.get_object_tagging(Bucket=BUCKET, Key=key),
        lambda: client.put_object_tagging(Bucket=BUCKET, Key=key, Tagging=tag_set(("a", "1"))),
        lambda: client.delete_object_tagging(Bucket=BUCKET, Key=key),
    ):
        err = service_error(call)
        assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchKey")
    # None of them created the object.
    assert service_error(lambda: client.head_object(Bucket=BUCKET, Key=key)).get_status_code() == 404


def test_cos_tag_limits_are_invalid_tag(any_server):
    client = ip_client(any_server)
    key = "tagging/limits.txt"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"x", Tagging="keep=1")
    ten = [(f"k{i}", str(i)) for i in range(10)]
    client.put_object_tagging(Bucket=BUCKET, Key=key, Tagging=tag_set(*ten))
    assert tags_of(client, key) == ten
    for bad in (
        ten + [("k10", "10")],
        [("a", "1"), ("a", "2")],
        [("k" * 129, "v")],
        [("k", "v" * 257)],
        [("k#", "v")],
        [("k", "a&b")],
    ):
        err = service_error(
            lambda: client.put_object_tagging(Bucket=BUCKET, Key=key, Tagging=tag_set(*bad))
        )
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidTag"), bad
    # The longest key and value COS allows are taken, and a refusal changed nothing before.
    assert tags_of(client, key) == ten
    longest = [("k" * 128, "v" * 256)]
    client.put_object_tagging(Bucket=BUCKET, Key=key, Tagging=tag_set(*longest))
    assert tags_of(client, key) == longest

    # The same rules on the header; a refused upload stores nothing.
    fresh = "tagging/limits-header.txt"
    eleven = "&".join(f"k{i}=v" for i in range(11))
    for header, code in ((eleven, "InvalidTag"), ("a=1&a=2", "InvalidTag"), ("a=1&&b", "InvalidArgument")):
        err = service_error(
            lambda: client.put_object(Bucket=BUCKET, Key=fresh, Body=b"x", Tagging=header)
        )
        assert (err.get_status_code(), err.get_error_code()) == (400, code), header
    assert service_error(lambda: client.head_object(Bucket=BUCKET, Key=fresh)).get_status_code() == 404


def test_put_tagging_checks_a_content_md5_when_sent_and_malformed_xml(server):
    key = "tagging/md5.txt"
    ip_client(server).put_object(Bucket=BUCKET, Key=key, Body=b"x")
    body = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    import base64

    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    r = signed(server, "PUT", key, {"Content-MD5": wrong}, {"tagging": ""}, body)
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "BadDigest")
    right = base64.b64encode(hashlib.md5(body).digest()).decode()
    r = signed(server, "PUT", key, {"Content-MD5": right}, {"tagging": ""}, body)
    assert r.status_code == 200
    r = signed(server, "PUT", key, None, {"tagging": ""}, b"<Tagging><Tag/></Tagging>")
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "MalformedXML")
    # A body past the limit is refused without being kept.
    r = signed(server, "PUT", key, None, {"tagging": ""}, b"<Tagging>" + b" " * (64 * 1024))
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "EntityTooLarge")
    assert tags_of(ip_client(server), key) == [("a", "1")]


def test_multipart_upload_applies_its_tags_and_encryption_at_complete(any_server):
    client = ip_client(any_server)
    key = "tagging/multipart.bin"
    up = client.create_multipart_upload(
        Bucket=BUCKET, Key=key, Tagging="stage=mp&n=2", ServerSideEncryption="AES256"
    )
    parts = [b"a" * MIB, b"b" * 10]
    etags = []
    for n, data in enumerate(parts, 1):
        r = client.upload_part(Bucket=BUCKET, Key=key, Body=data, PartNumber=n, UploadId=up["UploadId"])
        assert r["x-cos-server-side-encryption"] == "AES256"
        etags.append({"PartNumber": n, "ETag": r["ETag"]})
    # Not an object yet: no tags to read.
    err = service_error(lambda: client.get_object_tagging(Bucket=BUCKET, Key=key))
    assert err.get_error_code() == "NoSuchKey"
    done = client.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=up["UploadId"], MultipartUpload={"Part": etags}
    )
    assert done["x-cos-server-side-encryption"] == "AES256"
    assert tags_of(client, key) == [("stage", "mp"), ("n", "2")]
    head = client.head_object(Bucket=BUCKET, Key=key)
    assert (head["x-cos-tagging-count"], head["x-cos-server-side-encryption"]) == ("2", "AES256")


def test_copy_carries_tags_unless_replaced_and_encrypts_only_on_request(any_server):
    client = ip_client(any_server)
    src = "tagging/copy-src.txt"
    client.put_object(Bucket=BUCKET, Key=src, Body=b"copy me", Tagging="from=src", ServerSideEncryption="AES256")
    source = {"Bucket": BUCKET, "Key": src, "Region": "ap-guangzhou"}
    # The default tagging directive is Copy, for either metadata directive; the encryption
    # of the source is not carried over.
    for status in ("Copy", "Replaced"):
        dst = f"tagging/copy-{status}.txt"
        r = client.copy_object(Bucket=BUCKET, Key=dst, CopySource=source, CopyStatus=status)
        assert "x-cos-server-side-encryption" not in r
        assert tags_of(client, dst) == [("from", "src")]
        assert "x-cos-server-side-encryption" not in client.head_object(Bucket=BUCKET, Key=dst)
    dst = "tagging/copy-encrypted.txt"
    r = client.copy_object(Bucket=BUCKET, Key=dst, CopySource=source, ServerSideEncryption="AES256")
    assert r["x-cos-server-side-encryption"] == "AES256"
    assert client.head_object(Bucket=BUCKET, Key=dst)["x-cos-server-side-encryption"] == "AES256"

    # Replaced: the request's tags (none when it sends none). The SDK has no parameter
    # for the directive, so these are raw requests it signs.
    copy_source = f"{HOST}/{urllib.parse.quote(src)}"
    dst = "tagging/copy-replaced.txt"
    r = signed(
        any_server,
        "PUT",
        dst,
        {"x-cos-copy-source": copy_source, "x-cos-tagging-directive": "Replaced", "x-cos-tagging": "to=dst&x=1"},
    )
    assert r.status_code == 200, r.content
    assert tags_of(client, dst) == [("to", "dst"), ("x", "1")]
    r = signed(any_server, "PUT", dst, {"x-cos-copy-source": copy_source, "x-cos-tagging-directive": "Replaced"})
    assert r.status_code == 200
    assert tags_of(client, dst) == []
    r = signed(any_server, "PUT", dst, {"x-cos-copy-source": copy_source, "x-cos-tagging-directive": "Move"})
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "InvalidArgument")


def test_server_side_encryption_is_echoed_and_kept(any_server):
    client = ip_client(any_server)
    key = "sse/aes.txt"
    body = b"stored as sent"
    put = client.put_object(Bucket=BUCKET, Key=key, Body=body, ServerSideEncryption="AES256")
    assert put["x-cos-server-side-encryption"] == "AES256"
    assert client.head_object(Bucket=BUCKET, Key=key)["x-cos-server-side-encryption"] == "AES256"
    got = client.get_object(Bucket=BUCKET, Key=key)
    assert got["x-cos-server-side-encryption"] == "AES256"
    assert got["Body"].get_raw_stream().read() == body
    # Without the header: no encryption header back.
    plain = client.put_object(Bucket=BUCKET, Key="sse/plain.txt", Body=body)
    assert "x-cos-server-side-encryption" not in plain
    assert "x-cos-server-side-encryption" not in client.head_object(Bucket=BUCKET, Key="sse/plain.txt")


def test_kms_and_customer_keys_are_not_implemented(any_server):
    client = ip_client(any_server)
    key = "sse/refused.txt"
    for kwargs in (
        {"ServerSideEncryption": "cos/kms"},
        {
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": "MDEyMzQ1Njc4OUFCQ0RFRjAxMjM0NTY3ODlBQkNERUY=",
            "SSECustomerKeyMD5": "U5L61r7jcwdNvT7frmUG8g==",
        },
    ):
        err = service_error(lambda: client.put_object(Bucket=BUCKET, Key=key, Body=b"x", **kwargs))
        assert (err.get_status_code(), err.get_error_code()) == (501, "NotImplemented"), kwargs
    err = service_error(
        lambda: client.put_object(Bucket=BUCKET, Key=key, Body=b"x", ServerSideEncryption="DES")
    )
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    assert service_error(lambda: client.head_object(Bucket=BUCKET, Key=key)).get_status_code() == 404


def test_disk_store_keeps_tags_and_encryption_across_a_restart(server_binary, tmp_path):
    first = Server(server_binary, tmp_path)
    try:
        client = ip_client(first)
        client.put_object(Bucket=BUCKET, Key="restart.txt", Body=b"r", Tagging="a=1", ServerSideEncryption="AES256")
        client.put_object_tagging(Bucket=BUCKET, Key="restart.txt", Tagging=tag_set(("b", "2"), ("c", "")))
    finally:
        first.stop()
    second = Server(server_binary, tmp_path)
    try:
        client = ip_client(second)
        assert tags_of(client, "restart.txt") == [("b", "2"), ("c", "")]
        head = client.head_object(Bucket=BUCKET, Key="restart.txt")
        assert (head["x-cos-tagging-count"], head["x-cos-server-side-encryption"]) == ("2", "AES256")
        assert client.get_object(Bucket=BUCKET, Key="restart.txt")["Body"].get_raw_stream().read() == b"r"
    finally:
        second.stop()
