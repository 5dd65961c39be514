"""What a sweep of the official SDK's object calls against the local server found missing.

`x-cos-hash-crc64ecma`: COS answers every write (PUT, Upload Part, Complete, Copy, Upload
Part - Copy) with the CRC-64 of the bytes written, and GET and HEAD with the object's (a
ranged GET too); `download_file(EnableCRC=True)` reads it from HEAD and compares it with the
file it wrote, so without it the call failed with a KeyError. Expected values come from
`crcmod`, built exactly as qcloud_cos builds it, over the bytes the test sent.

`get_bucket_versioning`: answered 501 before; COS answers a bucket that never had versioning
enabled with an empty `VersioningConfiguration`, and this server never enables it.
"""

import os

import crcmod
import pytest
from qcloud_cos.cos_exception import CosClientError, CosServiceError

from server_helpers import BUCKET, REGION, Server, ip_client

MIB = 1024 * 1024
CRC = "x-cos-hash-crc64ecma"
# qcloud_cos.resumable_downloader's own CRC function.
_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64(data):
    return str(_crc64(data))


def test_every_write_and_read_carries_the_crc64_of_the_bytes(any_server):
    client = ip_client(any_server)
    data = os.urandom(5000)
    r = client.put_object(Bucket=BUCKET, Key="crc/put", Body=data)
    assert r[CRC] == crc64(data)
    assert client.head_object(Bucket=BUCKET, Key="crc/put")[CRC] == crc64(data)
    got = client.get_object(Bucket=BUCKET, Key="crc/put")
    assert got["Body"].get_raw_stream().read() == data
    assert got[CRC] == crc64(data)
    # A range answers the whole object's CRC, as COS does (the Node SDK compares it to HEAD's).
    part = client.get_object(Bucket=BUCKET, Key="crc/put", Range="bytes=10-19")
    assert part["Body"].get_raw_stream().read() == data[10:20]
    assert part[CRC] == crc64(data)

    # Multipart: each part's CRC, then the whole object's at Complete.
    p1, p2 = os.urandom(MIB), os.urandom(1234)
    uid = client.create_multipart_upload(Bucket=BUCKET, Key="crc/mpu")["UploadId"]
    a = client.upload_part(Bucket=BUCKET, Key="crc/mpu", Body=p1, PartNumber=1, UploadId=uid)
    b = client.upload_part(Bucket=BUCKET, Key="crc/mpu", Body=p2, PartNumber=2, UploadId=uid)
    assert (a[CRC], b[CRC]) == (crc64(p1), crc64(p2))
    c = client.upload_part_copy(
        Bucket=BUCKET,
        Key="crc/mpu",
        PartNumber=3,
        UploadId=uid,
        CopySource={"Bucket": BUCKET, "Key": "crc/put", "Region": REGION},
        CopySourceRange="bytes=100-199",
    )
    assert c[CRC] == crc64(data[100:200])
    done = client.complete_multipart_upload(
        Bucket=BUCKET,
        Key="crc/mpu",
        UploadId=uid,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": a["ETag"]}, {"PartNumber": 2, "ETag": b["ETag"]}]},
    )
    assert done[CRC] == crc64(p1 + p2)
    assert client.head_object(Bucket=BUCKET, Key="crc/mpu")[CRC] == crc64(p1 + p2)

    # A copy: its own bytes' CRC (the source's), also when the metadata is replaced.
    r = client.copy_object(
        Bucket=BUCKET, Key="crc/copy", CopySource={"Bucket": BUCKET, "Key": "crc/mpu", "Region": REGION}
    )
    assert r[CRC] == crc64(p1 + p2)
    client.copy_object(
        Bucket=BUCKET,
        Key="crc/copy",
        CopySource={"Bucket": BUCKET, "Key": "crc/put", "Region": REGION},
        CopyStatus="Replaced",
        ContentType="text/plain",
    )
    assert client.head_object(Bucket=BUCKET, Key="crc/copy")[CRC] == crc64(data)
    # An empty object has CRC 0.
    assert client.put_object(Bucket=BUCKET, Key="crc/empty", Body=b"")[CRC] == "0"


def test_download_file_with_enable_crc(any_server, tmp_path):
    """`download_file(EnableCRC=True)`: a KeyError before the server sent the CRC."""
    client = ip_client(any_server)
    big = os.urandom(3 * MIB + 777)
    src = tmp_path / "big.bin"
    src.write_bytes(big)
    client.upload_file(Bucket=BUCKET, Key="crc/dl/big", LocalFilePath=str(src), PartSize=1, MAXThread=4)
    small = os.urandom(4321)
    client.put_object(Bucket=BUCKET, Key="crc/dl/small", Body=small)
    for key, data in (("crc/dl/big", big), ("crc/dl/small", small)):
        dest = tmp_path / key.rsplit("/", 1)[1]
        # Above the 1 MiB part size (the big one): ranged GETs on threads, then the CRC check.
        client.download_file(
            Bucket=BUCKET, Key=key, DestFilePath=str(dest), PartSize=1, MAXThread=4, EnableCRC=True
        )
        assert dest.read_bytes() == data


def test_appends_carry_the_crc64_of_the_whole_object(any_server, tmp_path):
    """APPEND Object answers the CRC-64 of the whole object after it, as GET and HEAD do,
    so `download_file(EnableCRC=True)` of an appendable object checks out."""
    client = ip_client(any_server)
    key = "crc/append.log"
    whole = b""
    for part in (b"first\n", os.urandom(70_000), b"", b"last\n"):
        got = client.append_object(Bucket=BUCKET, Key=key, Position=len(whole), Data=part)
        whole += part
        assert got[CRC] == str(crc64(whole))
    assert client.head_object(Bucket=BUCKET, Key=key)[CRC] == str(crc64(whole))
    dest = tmp_path / "append.log"
    client.download_file(Bucket=BUCKET, Key=key, DestFilePath=str(dest), EnableCRC=True)
    assert dest.read_bytes() == whole


def test_download_file_with_enable_crc_catches_a_changed_file(any_server, tmp_path, monkeypatch):
    """The check the SDK makes is a real one: a file that differs from the object is refused."""
    import qcloud_cos.resumable_downloader as rd

    client = ip_client(any_server)
    data = os.urandom(2 * MIB + 5)
    client.put_object(Bucket=BUCKET, Key="crc/dl/changed", Body=data)
    real = rd.crcmod.mkCrcFun

    def off_by_one(*args, **kwargs):
        f = real(*args, **kwargs)
        return lambda b: f(b) ^ 1

    monkeypatch.setattr(rd.crcmod, "mkCrcFun", off_by_one)
    with pytest.raises(CosClientError, match="crc of client"):
        client.download_file(
            Bucket=BUCKET, Key="crc/dl/changed", DestFilePath=str(tmp_path / "x"), PartSize=1, EnableCRC=True
        )


def test_disk_store_keeps_the_crc64_across_a_restart_and_tag_changes(server_binary, tmp_path):
    data = os.urandom(70_000)
    s = Server(server_binary, tmp_path / "data")
    try:
        client = ip_client(s)
        client.put_object(Bucket=BUCKET, Key="crc/kept", Body=data)
        client.put_object_tagging(
            Bucket=BUCKET, Key="crc/kept", Tagging={"TagSet": {"Tag": [{"Key": "k", "Value": "v"}]}}
        )
        client.put_object_acl(Bucket=BUCKET, Key="crc/kept", ACL="public-read")
    finally:
        s.stop()
    s = Server(server_binary, tmp_path / "data")
    try:
        head = ip_client(s).head_object(Bucket=BUCKET, Key="crc/kept")
        assert head[CRC] == crc64(data)
        assert head["x-cos-tagging-count"] == "1"
    finally:
        s.stop()


def test_get_bucket_versioning_is_never_enabled(any_server):
    client = ip_client(any_server)
    # The SDK's reading of `<VersioningConfiguration/>`: the root, empty.
    assert client.get_bucket_versioning(Bucket=BUCKET) == {"VersioningConfiguration": None}
    with pytest.raises(CosServiceError) as info:
        client.put_bucket_versioning(Bucket=BUCKET, Status="Enabled")
    assert (info.value.get_status_code(), info.value.get_error_code()) == (501, "NotImplemented")
    # Still never enabled: each object is its one version, `null`.
    assert client.get_bucket_versioning(Bucket=BUCKET) == {"VersioningConfiguration": None}
    client.put_object(Bucket=BUCKET, Body=b"v", Key="sweep-versions/only")
    listed = client.list_objects_versions(Bucket=BUCKET, Prefix="sweep-versions/")
    assert [(v["Key"], v["VersionId"]) for v in listed["Version"]] == [("sweep-versions/only", "null")]
