"""The official SDK's everyday calls against the local server (issue 9): metadata, Range,
conditional GET/HEAD, buckets and listings, multipart (call by call and `upload_file`),
`download_file`, copy, delete of several objects, and the raw bytes behind them."""

import base64
import hashlib
import os
import xml.etree.ElementTree as ET

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from server_helpers import BUCKET, PERM_ID, PERM_KEY, REGION, cos_client, parse_error

MIB = 1024 * 1024


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts):
    """COS's ETag of a completed upload, computed here with hashlib."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def service_error(call):
    with pytest.raises(CosServiceError) as info:
        call()
    return info.value


def payload(size, seed):
    return hashlib.sha256(str(seed).encode()).digest() * (size // 32) + b"x" * (size % 32)


def signed_get(server, key, headers=None, params=None):
    """A raw GET signed by the SDK (its Authorization header), sent with `requests`."""
    headers = dict(headers or {})
    params = dict(params or {})
    auth = cos_client().get_auth(
        Method="GET", Bucket=BUCKET, Key=key or "/", Headers=headers, Params=params
    )
    headers["Authorization"] = auth
    headers["Host"] = f"{BUCKET}.cos.ap-guangzhou.myqcloud.com"
    return requests.get(f"{server.url}/{key}", headers=headers, params=params, timeout=30)


def test_metadata_is_kept_and_returned(client):
    key = "meta/kept.txt"
    data = b"metadata\n" * 10
    client.put_object(
        Bucket=BUCKET,
        Key=key,
        Body=data,
        ContentType="text/plain; charset=utf-8",
        ContentDisposition='attachment; filename="x.txt"',
        ContentEncoding="identity",
        CacheControl="max-age=60",
        Expires="Wed, 21 Oct 2037 07:28:00 GMT",
        StorageClass="STANDARD_IA",
        Metadata={"x-cos-meta-colour": "blue", "x-cos-meta-n": "42"},
    )
    for got in (client.head_object(Bucket=BUCKET, Key=key), client.get_object(Bucket=BUCKET, Key=key)):
        assert got["Content-Type"] == "text/plain; charset=utf-8"
        assert got["Content-Disposition"] == 'attachment; filename="x.txt"'
        assert got["Content-Encoding"] == "identity"
        assert got["Cache-Control"] == "max-age=60"
        assert got["Expires"] == "Wed, 21 Oct 2037 07:28:00 GMT"
        assert got["x-cos-storage-class"] == "STANDARD_IA"
        assert got["x-cos-meta-colour"] == "blue"
        assert got["x-cos-meta-n"] == "42"
    err = service_error(
        lambda: client.put_object(Bucket=BUCKET, Key="meta/bad", Body=b"x", StorageClass="GOLD")
    )
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidStorageClass")


def test_get_object_with_range_and_overrides(client):
    key = "range/obj.bin"
    data = payload(100_000, 1)
    client.put_object(Bucket=BUCKET, Key=key, Body=data)
    for rng, (first, last) in {
        "bytes=0-0": (0, 0),
        "bytes=10-99": (10, 99),
        "bytes=99990-": (99990, 99999),
        "bytes=-5": (99995, 99999),
        "bytes=99000-200000": (99000, 99999),
    }.items():
        got = client.get_object(Bucket=BUCKET, Key=key, Range=rng)
        body = got["Body"].get_raw_stream().read()
        assert body == data[first : last + 1], rng
        assert got["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
        assert got["Content-Length"] == str(last - first + 1)
    err = service_error(lambda: client.get_object(Bucket=BUCKET, Key=key, Range="bytes=100000-"))
    assert (err.get_status_code(), err.get_error_code()) == (416, "InvalidRange")
    got = client.get_object(
        Bucket=BUCKET,
        Key=key,
        ResponseContentType="image/png",
        ResponseContentDisposition="inline",
        ResponseCacheControl="no-cache",
    )
    assert got["Content-Type"] == "image/png"
    assert got["Content-Disposition"] == "inline"
    assert got["Cache-Control"] == "no-cache"


def test_range_raw_bytes(server, client):
    key = "range/raw.bin"
    data = payload(1000, 2)
    client.put_object(Bucket=BUCKET, Key=key, Body=data)
    r = signed_get(server, key, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == data[100:200]
    assert r.headers["Content-Range"] == "bytes 100-199/1000"
    assert r.headers["Accept-Ranges"] == "bytes"
    r = signed_get(server, key, headers={"Range": "bytes=5000-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == "bytes */1000"
    assert parse_error(r.content)["Code"] == "InvalidRange"
    # Several ranges: the whole object, as HTTP allows.
    r = signed_get(server, key, headers={"Range": "bytes=0-1,5-6"})
    assert (r.status_code, r.content) == (200, data)


def test_conditional_get_and_head(server, client):
    key = "cond/obj.txt"
    data = b"conditional"
    etag = client.put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"]
    head = client.head_object(Bucket=BUCKET, Key=key)
    modified = head["Last-Modified"]
    got = client.get_object(Bucket=BUCKET, Key=key, IfMatch=etag)
    assert got["Body"].get_raw_stream().read() == data
    err = service_error(lambda: client.get_object(Bucket=BUCKET, Key=key, IfMatch='"0"'))
    assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed")
    # 304 is no error to the SDK (it only raises from 400 on): checked on the raw answer.
    r = signed_get(server, key, headers={"If-None-Match": etag})
    assert (r.status_code, r.content, r.headers["ETag"]) == (304, b"", etag)
    r = signed_get(server, key, headers={"If-Modified-Since": modified})
    assert (r.status_code, r.content) == (304, b"")
    r = signed_get(server, key, headers={"If-None-Match": '"other"'})
    assert (r.status_code, r.content) == (200, data)
    head = client.head_object(Bucket=BUCKET, Key=key, IfNoneMatch=etag)
    assert head["ETag"] == etag
    err = service_error(lambda: client.head_object(Bucket=BUCKET, Key=key, IfMatch='"0"'))
    assert err.get_status_code() == 412
    err = service_error(
        lambda: client.get_object(
            Bucket=BUCKET, Key=key, IfUnmodifiedSince="Mon, 01 Jan 2001 00:00:00 GMT"
        )
    )
    assert err.get_status_code() == 412
    got = client.get_object(Bucket=BUCKET, Key=key, IfModifiedSince="Mon, 01 Jan 2001 00:00:00 GMT")
    assert got["Body"].get_raw_stream().read() == data


def test_head_bucket_and_object_exists(client):
    assert client.head_bucket(Bucket=BUCKET)["x-cos-request-id"]
    assert client.bucket_exists(Bucket=BUCKET) is True
    client.put_object(Bucket=BUCKET, Key="exists/yes", Body=b"1")
    assert client.object_exists(Bucket=BUCKET, Key="exists/yes") is True
    assert client.object_exists(Bucket=BUCKET, Key="exists/no") is False


def test_list_objects_paging_and_delimiter(client):
    keys = sorted(
        ["list/a.txt", "list/b/1", "list/b/2", "list/c d+e%.txt", "list/中文", "list/é", "list/z/9"],
        key=lambda k: k.encode(),
    )
    for k in keys:
        client.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    listed = []
    marker = ""
    pages = 0
    while True:
        r = client.list_objects(Bucket=BUCKET, Prefix="list/", Marker=marker, MaxKeys=2)
        pages += 1
        listed += [c["Key"] for c in r.get("Contents", [])]
        if r["IsTruncated"] == "false":
            break
        marker = r["NextMarker"]
    assert listed == keys
    assert pages == 4
    r = client.list_objects(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    assert [c["Key"] for c in r["Contents"]] == [k for k in keys if "/" not in k[5:]]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["list/b/", "list/z/"]
    c = next(c for c in r["Contents"] if c["Key"] == "list/a.txt")
    assert c["ETag"] == f'"{md5_hex(b"list/a.txt")}"'
    assert c["Size"] == str(len("list/a.txt"))
    assert c["StorageClass"] == "STANDARD"
    # Delimiter and paging together: the prefixes count as entries.
    r = client.list_objects(Bucket=BUCKET, Prefix="list/", Delimiter="/", MaxKeys=2)
    assert r["IsTruncated"] == "true"
    assert [c["Key"] for c in r["Contents"]] + [p["Prefix"] for p in r["CommonPrefixes"]] == [
        "list/a.txt",
        "list/b/",
    ]
    r = client.list_objects(
        Bucket=BUCKET, Prefix="list/", Delimiter="/", MaxKeys=2, Marker=r["NextMarker"]
    )
    # UTF-8 binary order: "z/" before "é".
    assert [c["Key"] for c in r["Contents"]] == ["list/c d+e%.txt"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["list/z/"]
    r = client.list_objects(
        Bucket=BUCKET, Prefix="list/", Delimiter="/", MaxKeys=2, Marker=r["NextMarker"]
    )
    assert [c["Key"] for c in r["Contents"]] == ["list/é", "list/中文"]
    assert r["IsTruncated"] == "false" and "CommonPrefixes" not in r


def test_list_objects_raw_xml(server, client):
    client.put_object(Bucket=BUCKET, Key="rawlist/a b", Body=b"1")
    r = signed_get(server, "", params={"prefix": "rawlist/", "encoding-type": "url", "max-keys": "5000"})
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    assert root.tag == "ListBucketResult"
    assert root.findtext("Name") == BUCKET
    assert root.findtext("MaxKeys") == "1000"
    assert root.findtext("EncodingType") == "url"
    assert root.findtext("Contents/Key") == "rawlist/a%20b"
    assert root.findtext("Contents/LastModified").endswith(".000Z")
    r = signed_get(server, "", params={"max-keys": "x"})
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "InvalidArgument")


def test_multipart_calls_one_by_one(client):
    key = "mpu/one by one.bin"
    parts = [payload(MIB, 10), payload(MIB + 7, 11), payload(1234, 12)]
    init = client.create_multipart_upload(
        Bucket=BUCKET, Key=key, ContentType="video/mp4", Metadata={"x-cos-meta-m": "v"}
    )
    upload_id = init["UploadId"]
    assert init["Key"] == key and init["Bucket"] == BUCKET
    listed = client.list_multipart_uploads(Bucket=BUCKET, Prefix="mpu/")
    assert [u["UploadId"] for u in listed["Upload"]] == [upload_id]
    etags = []
    for n, p in enumerate(parts, 1):
        r = client.upload_part(Bucket=BUCKET, Key=key, Body=p, PartNumber=n, UploadId=upload_id)
        assert r["ETag"] == f'"{md5_hex(p)}"'
        etags.append(r["ETag"])
    lp = client.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)
    assert [(x["PartNumber"], x["ETag"], x["Size"]) for x in lp["Part"]] == [
        (str(n), e, str(len(p))) for n, (e, p) in enumerate(zip(etags, parts), 1)
    ]
    lp = client.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id, MaxParts=2)
    assert lp["IsTruncated"] == "true" and lp["NextPartNumberMarker"] == "2"
    # Not visible before Complete.
    assert client.object_exists(Bucket=BUCKET, Key=key) is False
    bad = {"Part": [{"PartNumber": 2, "ETag": etags[1]}, {"PartNumber": 1, "ETag": etags[0]}]}
    err = service_error(
        lambda: client.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload=bad
        )
    )
    assert err.get_error_code() == "InvalidPartOrder"
    bad = {"Part": [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]}
    err = service_error(
        lambda: client.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload=bad
        )
    )
    assert err.get_error_code() == "InvalidPart"
    # A small part that is not the last is refused.
    bad = {"Part": [{"PartNumber": 3, "ETag": etags[2]}, {"PartNumber": 4, "ETag": etags[2]}]}
    err = service_error(
        lambda: client.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload=bad
        )
    )
    assert err.get_error_code() in ("InvalidPart", "EntityTooSmall")
    done = client.complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    assert done["ETag"] == multipart_etag(parts)
    assert done["Key"] == key
    got = client.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == b"".join(parts)
    assert got["ETag"] == multipart_etag(parts)
    assert got["Content-Type"] == "video/mp4"
    assert got["x-cos-meta-m"] == "v"
    # The upload is gone.
    err = service_error(lambda: client.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id))
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchUpload")
    assert "Upload" not in client.list_multipart_uploads(Bucket=BUCKET, Prefix="mpu/")


def test_multipart_abort_leaves_nothing(server, client):
    key = "mpu/aborted.bin"
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    client.upload_part(Bucket=BUCKET, Key=key, Body=payload(MIB, 3), PartNumber=1, UploadId=upload_id)
    client.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
    assert client.object_exists(Bucket=BUCKET, Key=key) is False
    err = service_error(
        lambda: client.upload_part(Bucket=BUCKET, Key=key, Body=b"x", PartNumber=1, UploadId=upload_id)
    )
    assert err.get_error_code() == "NoSuchUpload"
    err = service_error(
        lambda: client.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
    )
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchUpload")
    uploads = server.data_dir / ".uploads" / BUCKET
    assert not (uploads / upload_id).exists()
    # An id that is not one of ours never reaches the file system.
    err = service_error(lambda: client.list_parts(Bucket=BUCKET, Key=key, UploadId="../../etc"))
    assert err.get_error_code() == "NoSuchUpload"


def test_upload_file_and_download_file(server, client, tmp_path):
    key = "big/upload_file.bin"
    data = os.urandom(31 * MIB + 12345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    r = client.upload_file(Bucket=BUCKET, Key=key, LocalFilePath=str(src), PartSize=2, MAXThread=6)
    etag = r["ETag"].strip('"')
    assert etag.count("-") == 1 and int(etag.split("-")[1]) > 1, r
    part = 2 * MIB
    assert r["ETag"] == multipart_etag([data[i : i + part] for i in range(0, len(data), part)])
    head = client.head_object(Bucket=BUCKET, Key=key)
    assert head["Content-Length"] == str(len(data))
    dest = tmp_path / "dest.bin"
    client.download_file(Bucket=BUCKET, Key=key, DestFilePath=str(dest), PartSize=1, MAXThread=8)
    assert hashlib.md5(dest.read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()
    # Nothing of the upload is left on disk.
    uploads = server.data_dir / ".uploads" / BUCKET
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert [p.name for p in (server.data_dir / BUCKET).iterdir() if p.name.startswith(".")] == []


def test_copy_object(client):
    src = "copy/src 中.txt"
    data = b"copy me\n" * 50
    client.put_object(
        Bucket=BUCKET, Key=src, Body=data, ContentType="text/plain", Metadata={"x-cos-meta-a": "1"}
    )
    source = {"Bucket": BUCKET, "Key": src, "Region": "ap-guangzhou"}
    r = client.copy_object(Bucket=BUCKET, Key="copy/dst-copy", CopySource=source)
    assert r["ETag"] == f'"{md5_hex(data)}"'
    assert r["LastModified"].endswith(".000Z")
    got = client.get_object(Bucket=BUCKET, Key="copy/dst-copy")
    assert got["Body"].get_raw_stream().read() == data
    assert got["Content-Type"] == "text/plain"
    assert got["x-cos-meta-a"] == "1"
    client.copy_object(
        Bucket=BUCKET,
        Key="copy/dst-replaced",
        CopySource=source,
        CopyStatus="Replaced",
        ContentType="application/json",
        Metadata={"x-cos-meta-b": "2"},
    )
    head = client.head_object(Bucket=BUCKET, Key="copy/dst-replaced")
    assert head["Content-Type"] == "application/json"
    assert head["x-cos-meta-b"] == "2" and "x-cos-meta-a" not in head
    err = service_error(lambda: client.copy_object(Bucket=BUCKET, Key=src, CopySource=source))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidRequest")
    missing = {"Bucket": BUCKET, "Key": "copy/none", "Region": "ap-guangzhou"}
    err = service_error(lambda: client.copy_object(Bucket=BUCKET, Key="copy/x", CopySource=missing))
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchKey")
    err = service_error(
        lambda: client.copy_object(
            Bucket=BUCKET, Key="copy/x", CopySource=source, CopySourceIfMatch='"0"'
        )
    )
    assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed")


def test_delete_objects(client):
    keys = [f"multi/{i} &<>.txt" for i in range(5)]
    for k in keys:
        client.put_object(Bucket=BUCKET, Key=k, Body=b"x")
    r = client.delete_objects(
        Bucket=BUCKET,
        Delete={"Object": [{"Key": k} for k in keys[:3]] + [{"Key": "multi/absent"}], "Quiet": "false"},
    )
    assert sorted(d["Key"] for d in r["Deleted"]) == sorted(keys[:3] + ["multi/absent"])
    r = client.delete_objects(
        Bucket=BUCKET, Delete={"Object": [{"Key": k} for k in keys[3:]], "Quiet": "true"}
    )
    assert "Deleted" not in r and "Error" not in r
    listed = client.list_objects(Bucket=BUCKET, Prefix="multi/")
    assert "Contents" not in listed


def test_delete_objects_raw(server):
    body = b"<Delete><Object><Key>raw/a</Key></Object></Delete>"
    auth_client = cos_client()

    def post(headers):
        auth = auth_client.get_auth(
            Method="POST", Bucket=BUCKET, Key="/", Headers=headers, Params={"delete": ""}
        )
        h = dict(headers, Authorization=auth, Host=f"{BUCKET}.cos.ap-guangzhou.myqcloud.com")
        return requests.post(f"{server.url}/?delete", headers=h, data=body, timeout=30)

    r = post({})
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "MissingContentMD5")
    r = post({"Content-MD5": base64.b64encode(hashlib.md5(b"other").digest()).decode()})
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "BadDigest")
    r = post({"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    assert root.tag == "DeleteResult"
    assert root.findtext("Deleted/Key") == "raw/a"


def test_bucket_configurations_never_set_answer_as_cos_does_for_a_new_bucket(client):
    """This server cannot set them (PUT is 501), so a GET answers as COS does for a bucket
    that never had one: 404 with the code the official SDKs read as "none"."""
    for call, code in (
        (lambda: client.get_bucket_lifecycle(Bucket=BUCKET), "NoSuchLifecycleConfiguration"),
        (lambda: client.get_bucket_website(Bucket=BUCKET), "NoSuchWebsiteConfiguration"),
        (lambda: client.get_bucket_referer(Bucket=BUCKET), "NoSuchRefererConfiguration"),
        (lambda: client.get_bucket_encryption(Bucket=BUCKET), "NoSuchEncryptionConfiguration"),
        (lambda: client.get_bucket_policy(Bucket=BUCKET), "NoSuchPolicy"),
        (lambda: client.get_bucket_replication(Bucket=BUCKET), "ReplicationConfigurationnotFoundError"),
    ):
        err = service_error(call)
        assert (err.get_status_code(), err.get_error_code()) == (404, code)
    rule = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}
    err = service_error(lambda: client.put_bucket_lifecycle(Bucket=BUCKET, LifecycleConfiguration={"Rule": [rule]}))
    assert (err.get_status_code(), err.get_error_code()) == (501, "NotImplemented")
    err = service_error(lambda: client.get_bucket_lifecycle(Bucket=BUCKET))
    assert err.get_error_code() == "NoSuchLifecycleConfiguration"


def test_unsupported_operations_answer_not_implemented(client):
    for call in (
        lambda: client.put_bucket_versioning(Bucket=BUCKET, Status="Enabled"),
        # Sub-resources that were taken for List Objects, GET or PUT Object before.
        lambda: client.get_bucket_domain_certificate(Bucket=BUCKET, DomainName="a.example"),
        lambda: client.get_bucket_response_control(Bucket=BUCKET),
        lambda: client.put_live_channel(Bucket=BUCKET, ChannelName="live-ch"),
        lambda: client.get_vod_playlist(
            Bucket=BUCKET, ChannelName="live-ch", StartTime=1700000000, EndTime=1700000100
        ),
        lambda: client.ci_image_inspect(Bucket=BUCKET, Key="live-ch"),
    ):
        err = service_error(call)
        assert (err.get_status_code(), err.get_error_code()) == (501, "NotImplemented")
    # The live channel's configuration was not stored as an object.
    err = service_error(lambda: client.head_object(Bucket=BUCKET, Key="live-ch"))
    assert err.get_status_code() == 404
    # The bucket holds an object, so it exists (test_sdk_buckets.py: create and delete).
    client.put_object(Bucket=BUCKET, Key="unsupported/held", Body=b"x")
    err = service_error(lambda: client.create_bucket(Bucket=BUCKET))
    assert (err.get_status_code(), err.get_error_code()) == (409, "BucketAlreadyOwnedByYou")


def test_bucket_location_is_the_region_of_the_host(server, client):
    assert client.get_bucket_location(Bucket=BUCKET) == {"LocationConstraint": REGION}
    # A host that names no region (the default bucket on an IP address): no answer to give.
    host = f"127.0.0.1:{server.port}"
    auth = client.get_auth(
        Method="GET", Bucket=BUCKET, Key="/", Params={"location": ""}, Headers={"Host": host}
    )
    r = requests.get(
        f"{server.url}/?location", headers={"Authorization": auth, "Host": host}, timeout=30
    )
    assert (r.status_code, parse_error(r.content)["Code"]) == (501, "NotImplemented"), r.text


def proxy_sdk_client(server):
    """The SDK with the real COS host, through the server as its HTTP proxy: `copy()` reads
    the source's size with a HEAD to the source's own host, which IP mode does not redirect."""
    conf = CosConfig(
        Region="ap-guangzhou",
        SecretId=PERM_ID,
        SecretKey=PERM_KEY,
        Scheme="http",
        Proxies=server.proxies,
    )
    return CosS3Client(conf, retry=0)


def test_copy_above_the_part_threshold_copies_by_parts(server):
    client = proxy_sdk_client(server)
    src = "pcopy/src 中.bin"
    data = os.urandom(3 * MIB + 4321)
    client.put_object(Bucket=BUCKET, Key=src, Body=data, Metadata={"x-cos-meta-a": "1"})
    client._conf.set_copy_part_threshold_size(2 * MIB)
    source = {"Bucket": BUCKET, "Key": src, "Region": "ap-guangzhou"}
    # copy() copies by parts only when the source is at or above the threshold and the
    # copy changes the storage class (or the region).
    r = client.copy(
        Bucket=BUCKET, Key="pcopy/dst.bin", CopySource=source, PartSize=1, StorageClass="STANDARD_IA"
    )
    chunks = [data[i : i + MIB] for i in range(0, len(data), MIB)]
    assert len(chunks) == 4
    assert r["ETag"] == multipart_etag(chunks)
    got = client.get_object(Bucket=BUCKET, Key="pcopy/dst.bin")
    assert got["Body"].get_raw_stream().read() == data
    assert got["ETag"] == multipart_etag(chunks)
    assert got["x-cos-storage-class"] == "STANDARD_IA"
    assert "Upload" not in client.list_multipart_uploads(Bucket=BUCKET, Prefix="pcopy/")


def test_upload_part_copy_with_ranges(client):
    src = "pcopy/ranged-src.bin"
    data = payload(2 * MIB + 100, 21)
    etag = client.put_object(Bucket=BUCKET, Key=src, Body=data)["ETag"]
    source = {"Bucket": BUCKET, "Key": src, "Region": "ap-guangzhou"}
    key = "pcopy/ranged.bin"
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    first = client.upload_part_copy(
        Bucket=BUCKET,
        Key=key,
        PartNumber=1,
        UploadId=upload_id,
        CopySource=source,
        CopySourceRange=f"bytes=10-{MIB + 9}",
        CopySourceIfMatch=etag,
    )
    assert first["ETag"] == f'"{md5_hex(data[10 : MIB + 10])}"'
    assert first["LastModified"].endswith(".000Z")
    # Without a range (the SDK then sends an empty one): the whole object.
    second = client.upload_part_copy(
        Bucket=BUCKET, Key=key, PartNumber=2, UploadId=upload_id, CopySource=source
    )
    assert second["ETag"] == f'"{md5_hex(data)}"'
    for bad in ("bytes=0-", f"bytes=0-{len(data)}", "bytes=9-3"):
        err = service_error(
            lambda: client.upload_part_copy(
                Bucket=BUCKET,
                Key=key,
                PartNumber=3,
                UploadId=upload_id,
                CopySource=source,
                CopySourceRange=bad,
            )
        )
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument"), bad
    err = service_error(
        lambda: client.upload_part_copy(
            Bucket=BUCKET,
            Key=key,
            PartNumber=3,
            UploadId=upload_id,
            CopySource=source,
            CopySourceIfNoneMatch=etag,
        )
    )
    assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed")
    missing = {"Bucket": BUCKET, "Key": "pcopy/none", "Region": "ap-guangzhou"}
    err = service_error(
        lambda: client.upload_part_copy(
            Bucket=BUCKET, Key=key, PartNumber=3, UploadId=upload_id, CopySource=missing
        )
    )
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchKey")
    done = client.complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Part": [
                {"PartNumber": 1, "ETag": first["ETag"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
            ]
        },
    )
    parts = [data[10 : MIB + 10], data]
    assert done["ETag"] == multipart_etag(parts)
    got = client.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == b"".join(parts)
