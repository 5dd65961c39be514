"""OpenDAL's COS service (Apache OpenDAL 0.55, Rust) against the local server.

OpenDAL signs COS requests with its own implementation of the algorithm (the `reqsign`
crate), so this checks the server's verification against a signer that is neither this
project's nor Tencent's. The client program, `tests/opendal` (a crate outside the workspace,
with its own lock file), runs: writes with metadata, stat, If-Match/If-None-Match, a range,
404s, `if_not_exists` (`x-cos-forbid-overwrite`), appends, a multipart writer, copy
(`x-cos-copy-source: /<bucket>/<key>`), folders and listings, pre-signed PUT and GET, and
deletes. It reaches the server as its HTTP proxy, so `Host` names the bucket as on COS. What
it stored is then read back with the official SDK.

`scripts/test.sh` builds the program before the tests; the fixture builds it when missing.
"""

import os
import shutil
import subprocess
import uuid

import pytest

from server_helpers import BUCKET, PERM_ID, PERM_KEY, REGION, ROOT, TEMP_ID, TEMP_KEY, TEMP_TOKEN, ip_client

CRATE = ROOT / "tests" / "opendal"
STEPS = [
    "write-read-stat",
    "conditions",
    "range",
    "not-found",
    "if-not-exists",
    "append",
    "multipart",
    "copy",
    "list",
    "presign",
    "delete",
]


@pytest.fixture(scope="session")
def opendal_check():
    cargo = shutil.which("cargo") or os.path.expanduser("~/.cargo/bin/cargo")
    subprocess.run(
        [cargo, "build", "--locked", "--manifest-path", str(CRATE / "Cargo.toml")],
        check=True,
        timeout=1800,
    )
    binary = CRATE / "target" / "debug" / "cos-sign-opendal-check"
    assert binary.exists(), binary
    return binary


def run_check(binary, server, prefix, secret_id=PERM_ID, secret_key=PERM_KEY, env_key=None):
    """Runs the client; `env_key` (id, key, token): the key from OpenDAL's own environment
    variables instead."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/"),
        "HTTP_PROXY": server.url,
        "http_proxy": server.url,
        "COS_ENDPOINT": f"http://cos.{REGION}.myqcloud.com",
        "COS_BUCKET": BUCKET,
        "COS_PREFIX": prefix,
    }
    if env_key:
        env["TENCENTCLOUD_SECRET_ID"], env["TENCENTCLOUD_SECRET_KEY"], env["TENCENTCLOUD_TOKEN"] = env_key
    else:
        env["COS_SECRET_ID"], env["COS_SECRET_KEY"] = secret_id, secret_key
    return subprocess.run([str(binary)], env=env, capture_output=True, text=True, timeout=300)


def test_opendal_cos_service(opendal_check, any_server):
    prefix = f"opendal-{uuid.uuid4().hex[:8]}/"
    r = run_check(opendal_check, any_server, prefix)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [line.removeprefix("ok ") for line in r.stdout.splitlines()[:-1]] == STEPS
    assert r.stdout.splitlines()[-1] == "all ok"

    # What OpenDAL stored, as the official SDK reads it.
    sdk = ip_client(any_server)
    got = sdk.get_object(Bucket=BUCKET, Key=prefix + "dir/a b+c(中)&=%.txt")
    assert got["Body"].get_raw_stream().read() == b"hello opendal"
    assert got["Content-Type"] == "text/plain"
    assert got["Cache-Control"] == "no-cache"
    assert got["x-cos-meta-colour"] == "blue"
    big = sdk.get_object(Bucket=BUCKET, Key=prefix + "big.bin")["Body"].get_raw_stream().read()
    assert big == bytes(i % 251 for i in range(2 * 1024 * 1024 + 12345))
    assert sdk.get_object(Bucket=BUCKET, Key=prefix + "log.txt")["Body"].get_raw_stream().read() == b"one,two,three"
    assert sdk.get_object(Bucket=BUCKET, Key=prefix + "once.txt")["Body"].get_raw_stream().read() == b"first"
    listed = sdk.list_objects(Bucket=BUCKET, Prefix=prefix)
    keys = sorted(c["Key"] for c in listed.get("Contents", []))
    assert keys == sorted(prefix + k for k in ["big.bin", "dir/a b+c(中)&=%.txt", "log.txt", "once.txt", "presigned.txt"])


def test_opendal_with_a_wrong_key_is_refused(opendal_check, server):
    prefix = f"opendal-{uuid.uuid4().hex[:8]}/"
    r = run_check(opendal_check, server, prefix, secret_key=PERM_KEY[:-1] + "X")
    assert r.returncode == 1
    assert "FAILED: write" in r.stderr and "SignatureDoesNotMatch" in r.stderr, r.stderr
    sdk = ip_client(server)
    assert "Contents" not in sdk.list_objects(Bucket=BUCKET, Prefix=prefix)


def test_opendal_with_a_temporary_key(opendal_check, server):
    """A temporary key from OpenDAL's environment: its signer sends the token as
    `x-cos-security-token` (and in the pre-signed URLs); a wrong token is refused."""
    prefix = f"opendal-{uuid.uuid4().hex[:8]}/"
    r = run_check(opendal_check, server, prefix, env_key=(TEMP_ID, TEMP_KEY, TEMP_TOKEN))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "all ok"
    r = run_check(opendal_check, server, prefix + "x/", env_key=(TEMP_ID, TEMP_KEY, TEMP_TOKEN + "x"))
    assert r.returncode == 1
    assert "FAILED: write" in r.stderr, r.stderr
