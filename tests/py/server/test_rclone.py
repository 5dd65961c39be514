"""rclone against the local server, configured as rclone's guides for COS do: the S3 backend
with `provider = TencentCOS` and the regional endpoint, and no region (rclone's TencentCOS
provider has no region setting: it signs SigV4 with `us-east-1`, whatever the bucket's region).

rclone reaches the server as its HTTP proxy (`HTTP_PROXY`), so `Host` names the bucket as it
would on COS. `scripts/test.sh` installs rclone (Debian's package) when it is missing.
"""

import hashlib
import os
import shutil
import subprocess
import uuid

import pytest
import requests

from server_helpers import BUCKET, PERM_ID, PERM_KEY, REGION, TEMP_ID, TEMP_KEY, TEMP_TOKEN

MIB = 1024 * 1024


def rclone_binary():
    path = shutil.which("rclone")
    assert path, "rclone is not installed (scripts/test.sh installs it: apt-get install rclone)"
    return path


class Rclone:
    """One rclone remote `cos:` on the server, with a config file of its own."""

    def __init__(self, server, tmp_path, key_id=PERM_ID, secret=PERM_KEY, token=None):
        self.conf = tmp_path / f"rclone-{uuid.uuid4().hex[:8]}.conf"
        lines = [
            "[cos]",
            "type = s3",
            "provider = TencentCOS",
            f"access_key_id = {key_id}",
            f"secret_access_key = {secret}",
            f"endpoint = http://cos.{REGION}.myqcloud.com",
        ]
        if token:
            lines.append(f"session_token = {token}")
        self.conf.write_text("\n".join(lines) + "\n")
        # rclone 1.60 refuses to start when AWS_CA_BUNDLE is set ("LoadCustomCABundleError":
        # its HTTP transport takes no custom bundle); the server is plain HTTP anyway.
        self.env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        self.env.update(HTTP_PROXY=server.url, http_proxy=server.url, NO_PROXY="", no_proxy="")

    def run(self, *args, check=True):
        cmd = [rclone_binary(), "--config", str(self.conf), "--retries", "1",
               "--low-level-retries", "1", *args]
        r = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=300)
        if check:
            assert r.returncode == 0, f"{args}: {r.returncode}\n{r.stderr[-3000:]}"
        return r

    def lsf(self, path):
        return sorted(self.run("lsf", "-R", "--files-only", path).stdout.splitlines())


def remote(prefix, rest=""):
    return f"cos:{BUCKET}/{prefix}{rest}"


@pytest.fixture
def prefix():
    return f"rclone-{uuid.uuid4().hex[:10]}/"


def test_copy_multipart_check_and_download(any_server, tmp_path, prefix):
    rc = Rclone(any_server, tmp_path)
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "small.txt").write_text("hello rclone\n")
    (src / "sub" / "中 文 a+b.txt").write_text("unicode key\n")
    big = os.urandom(12 * MIB + 123)
    (src / "big.bin").write_bytes(big)
    # 12 MiB in 5 MiB parts: three parts of the multipart API.
    rc.run("copy", str(src), remote(prefix), "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M")
    assert rc.lsf(remote(prefix)) == sorted(["big.bin", "small.txt", "sub/中 文 a+b.txt"])
    # rclone compares sizes and hashes (the ETag, or the MD5 it stores with a multipart
    # upload) and exits non-zero on a difference.
    rc.run("check", str(src), remote(prefix))
    assert rc.run("cat", remote(prefix, "small.txt")).stdout == "hello rclone\n"
    sums = dict(line.split("  ", 1)[::-1] for line in rc.run("md5sum", remote(prefix)).stdout.splitlines())
    assert sums["small.txt"] == hashlib.md5(b"hello rclone\n").hexdigest()
    back = tmp_path / "back"
    rc.run("copy", remote(prefix), str(back))
    assert (back / "big.bin").read_bytes() == big
    assert (back / "sub" / "中 文 a+b.txt").read_text() == "unicode key\n"
    # The upload left no multipart upload behind.
    r = rc.run("backend", "list-multipart-uploads", f"cos:{BUCKET}")
    assert prefix not in r.stdout, r.stdout
    rc.run("purge", remote(prefix))
    assert rc.lsf(remote(prefix)) == []


def test_sync_server_side_copy_move_and_delete(any_server, tmp_path, prefix):
    rc = Rclone(any_server, tmp_path)
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    for name in ("a.txt", "d/b.txt", "d/c.txt"):
        (src / name).write_text(f"text of {name}\n")
    rc.run("sync", str(src), remote(prefix))
    assert rc.lsf(remote(prefix)) == ["a.txt", "d/b.txt", "d/c.txt"]
    # sync deletes what the source no longer has, and uploads what changed.
    (src / "a.txt").unlink()
    (src / "d" / "b.txt").write_text("changed, and longer than before\n")
    rc.run("sync", str(src), remote(prefix))
    assert rc.lsf(remote(prefix)) == ["d/b.txt", "d/c.txt"]
    assert rc.run("cat", remote(prefix, "d/b.txt")).stdout == "changed, and longer than before\n"
    # copyto and moveto within the remote are server-side copies (PUT with x-amz-copy-source).
    rc.run("copyto", remote(prefix, "d/c.txt"), remote(prefix, "copy.txt"))
    rc.run("moveto", remote(prefix, "copy.txt"), remote(prefix, "moved/m.txt"))
    assert rc.lsf(remote(prefix)) == ["d/b.txt", "d/c.txt", "moved/m.txt"]
    assert rc.run("cat", remote(prefix, "moved/m.txt")).stdout == "text of d/c.txt\n"
    rc.run("delete", remote(prefix, "d"))
    assert rc.lsf(remote(prefix)) == ["moved/m.txt"]
    rc.run("purge", remote(prefix))
    assert rc.lsf(remote(prefix)) == []


def test_link_is_a_presigned_url_the_server_serves(any_server, tmp_path, prefix):
    rc = Rclone(any_server, tmp_path)
    (tmp_path / "f.txt").write_text("shared\n")
    rc.run("copyto", str(tmp_path / "f.txt"), remote(prefix, "f.txt"))
    url = rc.run("link", "--expire", "1h", remote(prefix, "f.txt")).stdout.strip()
    assert "X-Amz-Signature=" in url and "/us-east-1/" in requests.utils.unquote(url), url
    r = requests.get(url, proxies={"http": any_server.url}, timeout=30)
    assert (r.status_code, r.text) == (200, "shared\n")
    # The URL covers its key: another key with the same query is refused.
    other = url.replace("/f.txt?", "/g.txt?")
    r = requests.get(other, proxies={"http": any_server.url}, timeout=30)
    assert (r.status_code, "SignatureDoesNotMatch" in r.text) == (403, True), r.text
    rc.run("purge", remote(prefix))


def test_temporary_key_and_refusals(any_server, tmp_path, prefix):
    tmp = Rclone(any_server, tmp_path, TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    (tmp_path / "t.txt").write_text("temporary\n")
    tmp.run("copyto", str(tmp_path / "t.txt"), remote(prefix, "t.txt"))
    assert tmp.run("cat", remote(prefix, "t.txt")).stdout == "temporary\n"
    # A wrong secret: refused (rclone's first request is a HEAD: a 403 without a body),
    # nothing written.
    bad = Rclone(any_server, tmp_path, PERM_ID, PERM_KEY + "x")
    r = bad.run("copyto", str(tmp_path / "t.txt"), remote(prefix, "bad.txt"), check=False)
    assert r.returncode != 0 and "status code: 403" in r.stderr, r.stderr[-2000:]
    # The temporary key without its token: refused.
    notoken = Rclone(any_server, tmp_path, TEMP_ID, TEMP_KEY)
    r = notoken.run("cat", remote(prefix, "t.txt"), check=False)
    assert r.returncode != 0 and "status code: 403" in r.stderr, r.stderr[-2000:]
    assert "temporary" not in r.stdout
    assert tmp.lsf(remote(prefix)) == ["t.txt"]
    tmp.run("purge", remote(prefix))
