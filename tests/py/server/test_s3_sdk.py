"""The AWS S3 SDK (boto3) and the AWS CLI against the local server, signing with SigV4 as COS
accepts it ("Accessing COS with AWS S3 SDK": the COS SecretId/SecretKey as access key and
secret key, the COS region as the signing region).

Addressing: virtual-hosted style, as COS documents for its S3 endpoint
(`<bucket>.cos.<region>.myqcloud.com`): the clients use the endpoint
`http://cos.ap-guangzhou.myqcloud.com` with `addressing_style: virtual` and reach the server as
their HTTP proxy, so `Host` names the bucket exactly as it would on COS (the way the
qcloud_cos and coscmd tests reach it).
"""

import hashlib
import io
import os
import pathlib
import subprocess
import sys
import uuid

import boto3
import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from server_helpers import BUCKET, PERM_ID, PERM_KEY, REGION, TEMP_ID, TEMP_KEY, TEMP_TOKEN

ENDPOINT = f"http://cos.{REGION}.myqcloud.com"
MIB = 1024 * 1024


def s3(server, key_id=PERM_ID, secret=PERM_KEY, token=None):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(
            s3={"addressing_style": "virtual"},
            proxies={"http": server.url},
            retries={"max_attempts": 1, "mode": "standard"},
            signature_version="s3v4",
        ),
    )


def prefix():
    return f"s3sdk-{uuid.uuid4().hex[:10]}/"


def code_of(exc):
    return exc.value.response["Error"]["Code"]


def test_put_get_head_with_metadata_range_and_conditions(any_server):
    c = s3(any_server)
    key = prefix() + "a b+c(中).txt"
    data = b"hello, S3 SDK"
    put = c.put_object(
        Bucket=BUCKET,
        Key=key,
        Body=data,
        ContentType="text/plain",
        Metadata={"colour": "blue", "n": "1"},
        CacheControl="no-cache",
    )
    etag = '"' + hashlib.md5(data).hexdigest() + '"'
    assert put["ETag"] == etag
    got = c.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == data
    assert got["ETag"] == etag
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"colour": "blue", "n": "1"}
    assert got["CacheControl"] == "no-cache"
    head = c.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["Metadata"] == {"colour": "blue", "n": "1"}
    part = c.get_object(Bucket=BUCKET, Key=key, Range="bytes=7-9")
    assert part["Body"].read() == b"S3 "
    assert part["ContentRange"] == f"bytes 7-9/{len(data)}"
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=BUCKET, Key=key, IfMatch='"0000"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=BUCKET, Key=key, IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=BUCKET, Key=key + "-missing")
    assert code_of(e) == "NoSuchKey"
    c.delete_object(Bucket=BUCKET, Key=key)
    with pytest.raises(ClientError) as e:
        c.head_object(Bucket=BUCKET, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_objects_v2_pages_and_v1(any_server):
    c = s3(any_server)
    p = prefix()
    keys = [f"{p}k{i:02d}" for i in range(7)] + [f"{p}sub/x", f"{p}sub/y"]
    for k in keys:
        c.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    seen, pages = [], 0
    for page in c.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=p, PaginationConfig={"PageSize": 2}
    ):
        pages += 1
        assert page["KeyCount"] == len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
        seen += [o["Key"] for o in page.get("Contents", [])]
    assert seen == sorted(keys)
    assert pages == 5
    page = c.list_objects_v2(Bucket=BUCKET, Prefix=p, Delimiter="/", StartAfter=f"{p}k05")
    assert [o["Key"] for o in page["Contents"]] == [f"{p}k06"]
    assert page["CommonPrefixes"] == [{"Prefix": f"{p}sub/"}]
    assert page["StartAfter"] == f"{p}k05"
    assert "Owner" not in page["Contents"][0]
    owned = c.list_objects_v2(Bucket=BUCKET, Prefix=p, FetchOwner=True, MaxKeys=1)
    assert owned["Contents"][0]["Owner"]["ID"]
    assert owned["IsTruncated"] is True
    v1 = c.list_objects(Bucket=BUCKET, Prefix=p, MaxKeys=100)
    assert [o["Key"] for o in v1["Contents"]] == sorted(keys)
    deleted = c.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == sorted(keys)
    assert c.list_objects_v2(Bucket=BUCKET, Prefix=p)["KeyCount"] == 0


def test_copy_tagging_and_acl(any_server):
    c = s3(any_server)
    p = prefix()
    c.put_object(
        Bucket=BUCKET, Key=p + "src", Body=b"copy me", Metadata={"m": "1"}, Tagging="t=1&u=2"
    )
    tags = c.get_object_tagging(Bucket=BUCKET, Key=p + "src")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("t", "1"), ("u", "2")]
    c.copy_object(Bucket=BUCKET, Key=p + "dst", CopySource={"Bucket": BUCKET, "Key": p + "src"})
    got = c.get_object(Bucket=BUCKET, Key=p + "dst")
    assert got["Body"].read() == b"copy me"
    assert got["Metadata"] == {"m": "1"}
    c.copy_object(
        Bucket=BUCKET,
        Key=p + "dst2",
        CopySource=f"{BUCKET}/{p}src",
        MetadataDirective="REPLACE",
        Metadata={"m": "2"},
        ContentType="text/x-new",
    )
    head = c.head_object(Bucket=BUCKET, Key=p + "dst2")
    assert head["Metadata"] == {"m": "2"}
    assert head["ContentType"] == "text/x-new"
    c.put_object_tagging(Bucket=BUCKET, Key=p + "dst", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert c.get_object_tagging(Bucket=BUCKET, Key=p + "dst")["TagSet"] == [{"Key": "k", "Value": "v"}]
    c.put_object_acl(Bucket=BUCKET, Key=p + "dst", ACL="public-read")
    grants = c.get_object_acl(Bucket=BUCKET, Key=p + "dst")["Grants"]
    assert any(g["Permission"] == "READ" and g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants), grants
    # public-read: an unsigned GET through the proxy works, as on COS.
    r = requests.get(f"http://{BUCKET}.cos.{REGION}.myqcloud.com/{p}dst", proxies=any_server.proxies)
    assert r.status_code == 200 and r.content == b"copy me"


def test_upload_file_and_download_file_in_parts(any_server, tmp_path):
    c = s3(any_server)
    key = prefix() + "big.bin"
    data = os.urandom(12 * MIB + 12345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=3)
    c.upload_file(str(src), BUCKET, key, Config=cfg, ExtraArgs={"Metadata": {"kind": "big"}})
    head = c.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]
    assert head["Metadata"] == {"kind": "big"}
    dst = tmp_path / "dst.bin"
    c.download_file(BUCKET, key, str(dst), Config=cfg)
    assert dst.read_bytes() == data
    # The parts API directly: list parts and uploads, abort.
    up = c.create_multipart_upload(Bucket=BUCKET, Key=key + ".2")
    uid = up["UploadId"]
    c.upload_part(Bucket=BUCKET, Key=key + ".2", UploadId=uid, PartNumber=1, Body=b"x" * 10)
    c.upload_part_copy(
        Bucket=BUCKET, Key=key + ".2", UploadId=uid, PartNumber=2,
        CopySource={"Bucket": BUCKET, "Key": key}, CopySourceRange="bytes=0-99",
    )
    parts = c.list_parts(Bucket=BUCKET, Key=key + ".2", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 10), (2, 100)]
    uploads = c.list_multipart_uploads(Bucket=BUCKET, Prefix=key)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [uid]
    c.abort_multipart_upload(Bucket=BUCKET, Key=key + ".2", UploadId=uid)
    assert "Uploads" not in c.list_multipart_uploads(Bucket=BUCKET, Prefix=key)


def test_presigned_get_and_put_urls(any_server):
    c = s3(any_server)
    key = prefix() + "pre signed+.txt"
    put_url = c.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300)
    assert "X-Amz-Signature=" in put_url
    r = requests.put(put_url, data=b"from a URL", proxies=any_server.proxies)
    assert r.status_code == 200, r.text
    get_url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300)
    r = requests.get(get_url, proxies=any_server.proxies)
    assert (r.status_code, r.content) == (200, b"from a URL")
    # The URL's query changed: refused.
    r = requests.get(get_url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"), proxies=any_server.proxies)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    # An unsigned header the server would act on: refused.
    r = requests.put(put_url, data=b"x", headers={"x-amz-meta-sneaky": "1"}, proxies=any_server.proxies)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    assert c.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"from a URL"


def test_wrong_secret_or_token_is_refused_and_stores_nothing(any_server):
    key = prefix() + "nope"
    with pytest.raises(ClientError) as e:
        s3(any_server, secret="not-the-secret").put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert code_of(e) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        s3(any_server, key_id="AKIDunknown").put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert code_of(e) == "InvalidAccessKeyId"
    with pytest.raises(ClientError) as e:
        s3(any_server, TEMP_ID, TEMP_KEY, token="wrong-token").put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert code_of(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3(any_server).head_object(Bucket=BUCKET, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # The temporary key with its token works.
    t = s3(any_server, TEMP_ID, TEMP_KEY, token=TEMP_TOKEN)
    t.put_object(Bucket=BUCKET, Key=key, Body=b"temp")
    assert t.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"temp"


def test_object_versions_of_a_bucket_without_versioning(any_server):
    """ListObjectVersions pages (every object is its one version, `null`), and the resource
    API's way to empty a bucket of every version."""
    c = s3(any_server)
    p = prefix()
    keys = sorted(p + k for k in ["a", "b/c", "d e", "f+中"])
    for k in keys:
        c.put_object(Bucket=BUCKET, Key=k, Body=b"x")
    pages = c.get_paginator("list_object_versions").paginate(
        Bucket=BUCKET, Prefix=p, PaginationConfig={"PageSize": 3}
    )
    versions = [v for page in pages for v in page.get("Versions", [])]
    assert [v["Key"] for v in versions] == keys
    assert all(v["VersionId"] == "null" and v["IsLatest"] and v["Size"] == 1 for v in versions)
    assert c.head_object(Bucket=BUCKET, Key=keys[0], VersionId="null")["ContentLength"] == 1
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=BUCKET, Key=keys[0], VersionId="3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
    assert code_of(e) == "InvalidArgument"
    resource = boto3.resource(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=PERM_ID,
        aws_secret_access_key=PERM_KEY,
        config=Config(s3={"addressing_style": "virtual"}, proxies={"http": any_server.url}, retries={"max_attempts": 1}),
    )
    deleted = resource.Bucket(BUCKET).object_versions.filter(Prefix=p).delete()
    assert sorted(d["Key"] for r in deleted for d in r["Deleted"]) == keys
    assert c.list_objects_v2(Bucket=BUCKET, Prefix=p)["KeyCount"] == 0


def test_list_buckets_and_path_style(server):
    c = s3(server)
    c.put_object(Bucket=BUCKET, Key=prefix() + "known", Body=b"x")
    names = [b["Name"] for b in c.list_buckets()["Buckets"]]
    assert BUCKET in names
    path_style = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=PERM_ID,
        aws_secret_access_key=PERM_KEY,
        config=Config(s3={"addressing_style": "path"}, proxies={"http": server.url}, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as e:
        path_style.put_object(Bucket=BUCKET, Key="path-style", Body=b"x")
    assert code_of(e) == "PathStyleDomainForbidden"


def test_expired_presigned_url_is_refused(future_server):
    c = s3(future_server)
    url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "any"}, ExpiresIn=3600)
    r = requests.get(url, proxies=future_server.proxies)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    assert "expired" in r.text
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=BUCKET, Key="skewed", Body=b"x")
    assert code_of(e) == "RequestTimeTooSkewed"


def aws(server, tmp_path, *args):
    config = tmp_path / "aws-config"
    config.write_text(
        f"[default]\nregion = {REGION}\ns3 =\n    addressing_style = virtual\n"
        "    multipart_threshold = 5MB\n    multipart_chunksize = 5MB\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": PERM_ID,
        "AWS_SECRET_ACCESS_KEY": PERM_KEY,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "HTTP_PROXY": server.url,
        "http_proxy": server.url,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    # The venv's own `aws`, next to its python (not resolved: the venv's bin).
    exe = pathlib.Path(sys.executable).parent / "aws"
    return subprocess.run(
        [str(exe), "--endpoint-url", ENDPOINT, *args],
        env=env, capture_output=True, text=True, timeout=300,
    )


def test_aws_cli_cp_ls_sync(any_server, tmp_path):
    p = prefix()
    local = tmp_path / "tree"
    (local / "d").mkdir(parents=True)
    (local / "a.txt").write_bytes(b"A")
    (local / "d" / "b.txt").write_bytes(b"BB")
    big = os.urandom(11 * MIB)
    (local / "big.bin").write_bytes(big)
    r = aws(any_server, tmp_path, "s3", "cp", str(local / "big.bin"), f"s3://{BUCKET}/{p}big.bin")
    assert r.returncode == 0, r.stderr
    r = aws(any_server, tmp_path, "s3", "sync", str(local), f"s3://{BUCKET}/{p}tree/")
    assert r.returncode == 0, r.stderr
    r = aws(any_server, tmp_path, "s3", "ls", "--recursive", f"s3://{BUCKET}/{p}")
    assert r.returncode == 0, r.stderr
    listed = sorted(line.split()[-1] for line in r.stdout.splitlines())
    assert listed == sorted(
        [f"{p}big.bin", f"{p}tree/a.txt", f"{p}tree/big.bin", f"{p}tree/d/b.txt"]
    )
    back = tmp_path / "back"
    r = aws(any_server, tmp_path, "s3", "sync", f"s3://{BUCKET}/{p}tree/", str(back))
    assert r.returncode == 0, r.stderr
    assert (back / "d" / "b.txt").read_bytes() == b"BB"
    assert (back / "big.bin").read_bytes() == big
    r = aws(any_server, tmp_path, "s3", "cp", f"s3://{BUCKET}/{p}big.bin", str(tmp_path / "one.bin"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "one.bin").read_bytes() == big
    # A second sync transfers nothing.
    r = aws(any_server, tmp_path, "s3", "sync", str(local), f"s3://{BUCKET}/{p}tree/")
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout
    r = aws(any_server, tmp_path, "s3", "rm", "--recursive", f"s3://{BUCKET}/{p}")
    assert r.returncode == 0, r.stderr
    r = aws(any_server, tmp_path, "s3", "ls", "--recursive", f"s3://{BUCKET}/{p}")
    assert r.stdout.strip() == ""
