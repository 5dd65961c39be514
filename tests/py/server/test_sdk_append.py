"""The official SDK's `append_object` (`qcloud_cos`, IP mode) against the local server: APPEND Object."""

import base64
import hashlib

import pytest
from qcloud_cos.cos_exception import CosServiceError

from server_helpers import BUCKET


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def service_error(call):
    with pytest.raises(CosServiceError) as info:
        call()
    return info.value


def test_appends_then_get_and_head(client):
    key = "append/log 腾讯云.txt"
    parts = [b"first line\n", b"", b"second line\n" * 1000, b"\x00\xff tail"]
    whole = b""
    for i, part in enumerate(parts):
        kwargs = {"ContentType": "text/plain", "Metadata": {"x-cos-meta-source": "sdk"}} if i == 0 else {}
        got = client.append_object(Bucket=BUCKET, Key=key, Position=len(whole), Data=part, **kwargs)
        whole += part
        assert got["x-cos-next-append-position"] == str(len(whole))
        assert got["ETag"] == f'"{md5_hex(whole)}"'
        assert got["x-cos-request-id"]

    obj = client.get_object(Bucket=BUCKET, Key=key)
    assert obj["Body"].get_raw_stream().read() == whole
    assert obj["x-cos-object-type"] == "appendable"
    assert obj["Content-Type"] == "text/plain"
    assert obj["x-cos-meta-source"] == "sdk"

    head = client.head_object(Bucket=BUCKET, Key=key)
    assert head["x-cos-object-type"] == "appendable"
    # The next position, as the SDK's docs read it: the Content-Length.
    assert head["Content-Length"] == str(len(whole))
    assert head["ETag"] == f'"{md5_hex(whole)}"'


def test_wrong_position_and_normal_objects(client):
    key = "append/positions"
    client.append_object(Bucket=BUCKET, Key=key, Position=0, Data=b"abc")
    for wrong in (0, 2, 4):
        e = service_error(lambda: client.append_object(Bucket=BUCKET, Key=key, Position=wrong, Data=b"x"))
        assert (e.get_status_code(), e.get_error_code()) == (409, "PositionNotEqualToLength")
        assert e.get_request_id()
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"abc"

    # PUT over it makes it normal; appending to a normal object is refused.
    client.put_object(Bucket=BUCKET, Key=key, Body=b"normal")
    head = client.head_object(Bucket=BUCKET, Key=key)
    assert "x-cos-object-type" not in head
    e = service_error(lambda: client.append_object(Bucket=BUCKET, Key=key, Position=6, Data=b"x"))
    assert (e.get_status_code(), e.get_error_code()) == (409, "ObjectNotAppendable")
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"normal"


def test_content_md5_and_copy(client):
    key = "append/md5"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    e = service_error(lambda: client.append_object(Bucket=BUCKET, Key=key, Position=0, Data=b"data", ContentMD5=wrong))
    assert (e.get_status_code(), e.get_error_code()) == (400, "BadDigest")
    e = service_error(lambda: client.head_object(Bucket=BUCKET, Key=key))
    assert e.get_status_code() == 404
    right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    got = client.append_object(Bucket=BUCKET, Key=key, Position=0, Data=b"data", ContentMD5=right)
    assert got["x-cos-next-append-position"] == "4"

    # An appendable object cannot be copied.
    source = {"Bucket": BUCKET, "Key": key, "Region": "ap-guangzhou"}
    e = service_error(lambda: client.copy_object(Bucket=BUCKET, Key="append/copy", CopySource=source))
    assert (e.get_status_code(), e.get_error_code()) == (403, "InvalidObjectState")
