"""Bucket calls of the official SDK (qcloud_cos 1.9.44) against the local server: create_bucket
(200 once, then 409 BucketAlreadyOwnedByYou), delete_bucket (204; 409 BucketNotEmpty with
objects or uploads; 404 NoSuchBucket), list_buckets (GET Service), head_bucket and
bucket_exists; on the disk store and the memory store.

create, delete and head go through IP mode (the URL names the server, `Host` the bucket).
list_buckets cannot: it builds its URL itself as `http://service.cos.myqcloud.com/` (or the
`ServiceDomain` given) and IP mode only replaces the `Host` of calls that name a bucket, so in
IP mode it asks the real COS host. Through the server as its HTTP proxy (`Proxies`), the request
keeps that host, as on COS, and the server answers it. Bucket names are unique to each test,
as the servers are shared with the other tests of this folder."""

import calendar
import itertools
import os
import re
import time

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from server_helpers import BUCKET, PERM_ID, PERM_KEY, REGION, ip_client

_SEQ = itertools.count()


def fresh(tag):
    """A bucket name no other test uses."""
    return f"{tag}-{os.getpid()}-{next(_SEQ)}-1250000000"


def proxy_client(server, region=REGION):
    """The SDK with the real COS hosts, through the server as its HTTP proxy."""
    conf = CosConfig(
        Region=region,
        SecretId=PERM_ID,
        SecretKey=PERM_KEY,
        Scheme="http",
        Proxies=server.proxies,
    )
    return CosS3Client(conf, retry=0)


def service_error(call):
    with pytest.raises(CosServiceError) as info:
        call()
    e = info.value
    return e.get_status_code(), e.get_error_code()


def listed(client, **kwargs):
    """{name: bucket entry} of list_buckets."""
    got = client.list_buckets(**kwargs)
    return {b["Name"]: b for b in (got["Buckets"] or {}).get("Bucket", [])}


def test_create_bucket_once_then_conflict(any_server):
    client = ip_client(any_server)
    name = fresh("create")
    # A bucket never used: created (the SDK returns None on 200).
    assert client.create_bucket(Bucket=name) is None
    assert service_error(lambda: client.create_bucket(Bucket=name)) == (
        409,
        "BucketAlreadyOwnedByYou",
    )
    assert client.bucket_exists(Bucket=name) is True
    assert client.head_bucket(Bucket=name)["x-cos-request-id"]
    # A bucket that was never created but holds an object exists: 409 as well.
    implicit = fresh("implicit")
    client.put_object(Bucket=implicit, Key="k", Body=b"x")
    assert service_error(lambda: client.create_bucket(Bucket=implicit)) == (
        409,
        "BucketAlreadyOwnedByYou",
    )
    # The ACL of a creation is set; a second one leaves it as it was.
    public = fresh("public")
    client.create_bucket(Bucket=public, ACL="public-read")
    uris = lambda: [
        g["Grantee"].get("URI") for g in client.get_bucket_acl(Bucket=public)["AccessControlList"]["Grant"]
    ]
    assert "http://cam.qcloud.com/groups/global/AllUsers" in uris()
    assert service_error(lambda: client.create_bucket(Bucket=public, ACL="private"))[0] == 409
    assert "http://cam.qcloud.com/groups/global/AllUsers" in uris()


def test_delete_bucket_empty_non_empty_and_unknown(any_server):
    client = ip_client(any_server)
    name = fresh("delete")
    client.create_bucket(Bucket=name, ACL="public-read")
    client.put_object(Bucket=name, Key="a/b.txt", Body=b"bytes")
    assert service_error(lambda: client.delete_bucket(Bucket=name)) == (409, "BucketNotEmpty")
    client.delete_object(Bucket=name, Key="a/b.txt")
    # Only an unfinished multipart upload: not empty either.
    upload = client.create_multipart_upload(Bucket=name, Key="big.bin")["UploadId"]
    assert service_error(lambda: client.delete_bucket(Bucket=name)) == (409, "BucketNotEmpty")
    client.abort_multipart_upload(Bucket=name, Key="big.bin", UploadId=upload)
    # Empty: deleted (204, the SDK returns None), then unknown: bucket_exists is false.
    assert client.delete_bucket(Bucket=name) is None
    assert service_error(lambda: client.delete_bucket(Bucket=name)) == (404, "NoSuchBucket")
    assert client.bucket_exists(Bucket=name) is False
    assert service_error(lambda: client.delete_bucket(Bucket=fresh("never"))) == (
        404,
        "NoSuchBucket",
    )
    # Created again: a new bucket, private (the old ACL went with the old one).
    assert client.create_bucket(Bucket=name) is None
    assert client.bucket_exists(Bucket=name) is True
    acl = client.get_bucket_acl(Bucket=name)
    grants = acl["AccessControlList"]["Grant"]
    grants = grants if isinstance(grants, list) else [grants]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert client.delete_bucket(Bucket=name) is None


def test_head_bucket_and_bucket_exists_for_any_valid_name(any_server):
    # Buckets exist implicitly: a name never used can be read (empty) and written.
    client = ip_client(any_server)
    name = fresh("head")
    assert client.bucket_exists(Bucket=name) is True
    assert client.head_bucket(Bucket=name)["x-cos-request-id"]
    assert client.list_objects(Bucket=name).get("Contents") is None


def test_list_buckets_through_the_proxy(any_server):
    ip = ip_client(any_server)
    created = fresh("listed")
    ip.create_bucket(Bucket=created)
    holding = fresh("holding")
    before = time.time()
    ip.put_object(Bucket=holding, Key="k", Body=b"x")
    ip.put_object(Bucket=BUCKET, Key="listed/k", Body=b"x")
    beijing = fresh("beijing")
    proxy_client(any_server, "ap-beijing").create_bucket(Bucket=beijing)
    settings_only = fresh("acl-only")
    ip.put_bucket_acl(Bucket=settings_only, ACL="public-read")

    client = proxy_client(any_server)
    everything = client.list_buckets()
    assert everything["Owner"]["ID"] == "qcs::cam::uin/1250000000:uin/1250000000"
    buckets = listed(client)
    assert {created, holding, BUCKET, beijing} <= set(buckets)
    # An ACL alone does not make a bucket.
    assert settings_only not in buckets
    # In name order, each with its region, creation date and type.
    names = [b["Name"] for b in everything["Buckets"]["Bucket"]]
    assert names == sorted(names, key=lambda n: n.encode())
    assert buckets[created]["Location"] == REGION
    assert buckets[beijing]["Location"] == "ap-beijing"
    assert buckets[holding]["Location"] == REGION
    for b in buckets.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["CreationDate"]), b
        assert b["BucketType"] == "cos"
    stamp = calendar.timegm(time.strptime(buckets[holding]["CreationDate"], "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(stamp - before) < 120
    # The filters the SDK sends: region, creation time, pages.
    assert set(listed(client, Region="ap-beijing")) >= {beijing}
    assert all(b["Location"] == "ap-beijing" for b in listed(client, Region="ap-beijing").values())
    hour_ago = int(time.time()) - 3600
    assert {created, holding, beijing} <= set(listed(client, CreateTime=hour_ago, Range="gt"))
    assert not {created, holding, beijing} & set(listed(client, CreateTime=hour_ago, Range="lt"))
    first = client.list_buckets(MaxKeys=1)
    assert first["IsTruncated"] == "true"
    assert [b["Name"] for b in first["Buckets"]["Bucket"]] == names[:1]
    rest = listed(client, Marker=first["NextMarker"])
    assert list(rest) == names[1:]
    # Deleted: gone from the list.
    ip.delete_bucket(Bucket=created)
    assert created not in listed(client)


def test_list_buckets_in_ip_mode_asks_the_real_service_host(server, monkeypatch):
    # What the SDK does in IP mode: the URL names service.cos.myqcloud.com, not the IP. (The
    # SDK's session is shared by its clients: the stand-in is undone after the test.)
    client = ip_client(server)
    captured = {}

    def fake_get(url, **kwargs):
        captured["url"] = url
        captured["host"] = kwargs["headers"].get("Host")
        raise RuntimeError("stop")

    monkeypatch.setattr(client._session, "get", fake_get)
    with pytest.raises(Exception):
        client.list_buckets()
    assert captured == {"url": "http://service.cos.myqcloud.com/", "host": None}
