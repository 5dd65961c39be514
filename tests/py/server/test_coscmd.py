"""coscmd, Tencent Cloud's official command-line tool (PyPI `coscmd`, on qcloud_cos), against
the local server.

coscmd talks to `<bucket>.cos.<region>.myqcloud.com`; `http_proxy` sends its requests to the
server, which takes the absolute-form targets a proxy gets. Its configuration is a file in a
temporary HOME (no key on the command line).
"""

import hashlib
import os
import pathlib
import subprocess
import sys

import pytest
import requests

from server_helpers import BUCKET, HOST, PERM_ID, PERM_KEY, REGION, ip_client

COSCMD = pathlib.Path(sys.executable).with_name("coscmd")


def write_conf(home, secret_key=PERM_KEY, part_size_mb=1):
    home.mkdir(parents=True, exist_ok=True)
    (home / ".cos.conf").write_text(
        "[common]\n"
        f"secret_id = {PERM_ID}\n"
        f"secret_key = {secret_key}\n"
        f"bucket = {BUCKET}\n"
        f"region = {REGION}\n"
        "max_thread = 4\n"
        f"part_size = {part_size_mb}\n"
        "retry = 1\n"
        "timeout = 30\n"
        "schema = http\n"
        "verify = md5\n"
        "anonymous = False\n"
        # (20 MiB, the least coscmd takes: larger files go up in parts, and down in ranges)
        "multiupload_threshold = 20\n"
        "multidownload_threshold = 20\n"
    )
    return home


@pytest.fixture
def coscmd(server, tmp_path):
    """Runs coscmd with a configuration for the server's permanent key: (exit code, output)."""
    home = write_conf(tmp_path / "home")

    def run(*args, home=home, check=True):
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "http_proxy": server.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONIOENCODING": "utf-8",
        }
        p = subprocess.run(
            [str(COSCMD), *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        out = p.stdout + p.stderr
        if check:
            assert p.returncode == 0, out
        return p.returncode, out

    run.home = home
    return run


def tree_files(root):
    """{relative path: bytes} of every file under root."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def keys_under(client, prefix):
    listed = client.list_objects(Bucket=BUCKET, Prefix=prefix, MaxKeys=1000)
    return {c["Key"]: int(c["Size"]) for c in listed.get("Contents", [])}


def make_tree(root):
    """A folder with a small file, names with a space, `+`, `%` and Chinese, and a file of
    21 MiB + 5 (past coscmd's thresholds: a threaded multipart upload, a ranged download)."""
    (root / "sub" / "深").mkdir(parents=True)
    files = {
        "a.txt": b"hello coscmd\n",
        "sub/sp ace+plus%25.txt": b"x" * 100,
        "sub/深/文件.bin": bytes(range(256)) * 7,
        "big.bin": hashlib.sha256(b"seed").digest() * (21 * 1024 * 1024 // 32) + b"tail!",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return files


def test_upload_list_download_a_folder(server, coscmd, tmp_path):
    client = ip_client(server)
    files = make_tree(tmp_path / "src")
    # Like `cp -r`, the folder goes under the prefix by its name.
    _, out = coscmd("upload", "-r", str(tmp_path / "src"), "cmd/up/")
    assert "4 files uploaded" in out, out
    stored = keys_under(client, "cmd/up/")
    assert stored == {f"cmd/up/src/{k}": len(v) for k, v in files.items()}
    # The large one went up in parts: its ETag is a multipart ETag ("-N" with N parts).
    head = client.head_object(Bucket=BUCKET, Key="cmd/up/src/big.bin")
    parts = head["ETag"].strip('"').rpartition("-")[2]
    assert parts.isdigit() and int(parts) > 1, head["ETag"]
    # coscmd stores the file's MD5 as metadata and the server gives it back.
    assert head["x-cos-meta-md5"] == hashlib.md5(files["big.bin"]).hexdigest()

    _, out = coscmd("list", "-ar", "cmd/up/")
    for name, data in files.items():
        assert f"cmd/up/src/{name}" in out, out
    assert "Files num: 4" in out, out
    assert f"Files size: {sum(len(v) for v in files.values())}" in out, out

    _, out = coscmd("download", "-r", "cmd/up/", str(tmp_path / "dst"))
    assert "4 files downloaded" in out, out
    assert tree_files(tmp_path / "dst" / "src") == files
    # The large one came down in ranges, in parallel.
    ranged = server.logs().count(f"GET {BUCKET}/cmd/up/src/big.bin -> 206")
    assert ranged > 1, server.logs()[-2000:]


def test_sync_skips_what_is_already_there(server, coscmd, tmp_path):
    client = ip_client(server)
    files = make_tree(tmp_path / "src")
    coscmd("upload", "-rs", str(tmp_path / "src"), "cmd/sync/")
    assert len(keys_under(client, "cmd/sync/src/")) == len(files)
    # Unchanged files are skipped (their x-cos-meta-md5 matches); a changed one goes up.
    (tmp_path / "src" / "a.txt").write_bytes(b"changed\n")
    _, out = coscmd("upload", "-rs", str(tmp_path / "src"), "cmd/sync/")
    assert "1 files uploaded, 3 files skipped" in out, out
    got = client.get_object(Bucket=BUCKET, Key="cmd/sync/src/a.txt")["Body"].get_raw_stream().read()
    assert got == b"changed\n"


def test_info_copy_move_and_delete(server, coscmd, tmp_path):
    client = ip_client(server)
    data = b"copy me " * 1000
    src = tmp_path / "one.txt"
    src.write_bytes(data)
    coscmd("upload", str(src), "cmd/cp/one.txt")
    _, out = coscmd("info", "cmd/cp/one.txt")
    assert str(len(data)) in out, out
    assert hashlib.md5(data).hexdigest() in out, out

    coscmd("copy", f"{HOST}/cmd/cp/one.txt", "cmd/cp/two.txt")
    coscmd("move", f"{HOST}/cmd/cp/two.txt", "cmd/cp/three.txt")
    assert keys_under(client, "cmd/cp/") == {
        "cmd/cp/one.txt": len(data),
        "cmd/cp/three.txt": len(data),
    }
    got = client.get_object(Bucket=BUCKET, Key="cmd/cp/three.txt")["Body"].get_raw_stream().read()
    assert got == data

    _, out = coscmd("delete", "-rf", "cmd/cp/")
    assert "2 files successful, 0 files failed" in out, out
    assert keys_under(client, "cmd/cp/") == {}


def test_signurl_is_served(server, coscmd, tmp_path):
    client = ip_client(server)
    client.put_object(Bucket=BUCKET, Key="cmd/url/a b.txt", Body=b"by url")
    _, out = coscmd("signurl", "cmd/url/a b.txt", "-t", "600")
    url = next(line for line in out.splitlines() if line.startswith(("http://", "b'http://")))
    url = url.removeprefix("b'").removesuffix("'")
    assert url.startswith(f"http://{HOST}/"), url
    r = requests.get(url, proxies=server.proxies, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == b"by url"
    # The same URL with its signature changed is refused.
    sig = url.rsplit("q-signature=", 1)[1][:40]
    bad = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    r = requests.get(bad, proxies=server.proxies, timeout=10)
    assert r.status_code == 403, r.text
    assert b"SignatureDoesNotMatch" in r.content


def test_listparts_and_abort(server, coscmd):
    client = ip_client(server)
    up = client.create_multipart_upload(Bucket=BUCKET, Key="cmd/mp/unfinished.bin")
    client.upload_part(
        Bucket=BUCKET,
        Key="cmd/mp/unfinished.bin",
        Body=b"p" * 1024,
        PartNumber=1,
        UploadId=up["UploadId"],
    )
    _, out = coscmd("listparts", "cmd/mp/")
    assert "cmd/mp/unfinished.bin" in out, out
    assert up["UploadId"] in out, out
    coscmd("abort", "cmd/mp/")
    left = client.list_multipart_uploads(Bucket=BUCKET, Prefix="cmd/mp/")
    assert left.get("Upload", []) == []


def test_a_wrong_key_stores_nothing(server, coscmd, tmp_path):
    client = ip_client(server)
    src = tmp_path / "f.txt"
    src.write_bytes(b"not stored")
    wrong = write_conf(tmp_path / "wrong-home", secret_key=PERM_KEY + "x")
    code, out = coscmd("upload", str(src), "cmd/wrong/f.txt", home=wrong, check=False)
    assert "SignatureDoesNotMatch" in out, out
    assert keys_under(client, "cmd/wrong/") == {}
    code, out = coscmd("download", "cmd/wrong/f.txt", str(tmp_path / "g.txt"), check=False)
    assert not (tmp_path / "g.txt").exists()
    assert "NoSuchKey" in out or "NoSuchResource" in out or "Not Exist" in out, out


