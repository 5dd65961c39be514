"""POST Object (browser form upload): a real headless Chromium submits a form whose fields
are signed by the Rust API (cos-sign-core's POST-policy code, through the example
`post_form_fields`); the object is then read back with the official SDK. Raw requests check
the refusals (signature, policy conditions, size)."""

import json
import os
import shutil
import subprocess
import tempfile

import requests

from server_helpers import BUCKET, PERM_ID, PERM_KEY, ROOT, TEMP_ID, parse_error

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def signed_fields(prefix, max_bytes=1 << 20, seconds=600, secret_id=PERM_ID, secret_key=PERM_KEY):
    cargo = shutil.which("cargo") or os.path.expanduser("~/.cargo/bin/cargo")
    out = subprocess.run(
        [cargo, "run", "-q", "-p", "cos-sign-server", "--example", "post_form_fields", "--",
         secret_id, BUCKET, prefix, str(max_bytes), str(seconds)],
        cwd=ROOT,
        env=dict(os.environ, COS_SECRET_KEY=secret_key),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def post_form(server, fields, content, filename="f.txt", content_type="text/plain"):
    files = {"file": (filename, content, content_type)}
    return requests.post(
        f"{server.url}/", data=fields, files=files, timeout=30, allow_redirects=False
    )


def test_chromium_uploads_a_form(server, client):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is required (apt-get install chromium)"
    fields = signed_fields("browser/")
    fields.update({"key": "browser/${filename}", "success_action_status": "201",
                   "Content-Type": "text/plain; charset=utf-8", "x-cos-meta-from": "chromium"})
    text = "hello from a real browser, 腾讯云\n" * 300
    inputs = "\n".join(
        f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items()
    )
    page = f"""<!doctype html><html><body>
<form id="f" method="POST" enctype="multipart/form-data" action="{server.url}/">
{inputs}
<input type="file" name="file" id="file">
</form>
<script>
const text = {json.dumps(text)};
const dt = new DataTransfer();
dt.items.add(new File([text], "page 1.txt", {{type: "text/plain"}}));
document.getElementById("file").files = dt.files;
document.getElementById("f").submit();
</script></body></html>"""
    with tempfile.TemporaryDirectory() as tmp:
        html = os.path.join(tmp, "form.html")
        with open(html, "w", encoding="utf-8") as f:
            f.write(page)
        profile = os.path.join(tmp, "profile")
        out = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             "--virtual-time-budget=10000", "--dump-dom", f"file://{html}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    # The browser shows the server's 201 answer (PostResponse XML).
    assert "browser/page 1.txt" in out.stdout, (out.stdout[-2000:], out.stderr[-2000:])
    got = client.get_object(Bucket=BUCKET, Key="browser/page 1.txt")
    assert got["Body"].get_raw_stream().read() == text.encode()
    assert got["Content-Type"] == "text/plain; charset=utf-8"
    assert got["x-cos-meta-from"] == "chromium"


def test_post_object_statuses_and_refusals(server, client):
    fields = signed_fields("form/", max_bytes=1000)
    ok = dict(fields, key="form/${filename}")
    r = post_form(server, ok, b"abc", filename="a.txt")
    assert r.status_code == 204, r.text
    assert r.headers["ETag"] == '"900150983cd24fb0d6963f7d28e17f72"'
    assert client.get_object(Bucket=BUCKET, Key="form/a.txt")["Body"].get_raw_stream().read() == b"abc"

    r = post_form(server, dict(ok, success_action_status="200"), b"x", filename="b.txt")
    assert r.status_code == 200
    r = post_form(server, dict(ok, success_action_redirect="http://example.invalid/done"), b"x")
    assert r.status_code == 303
    assert r.headers["Location"].startswith("http://example.invalid/done?bucket=")
    assert "key=form%2Ff.txt" in r.headers["Location"]

    bad_sig = dict(ok, **{"q-signature": "0" * 40})
    r = post_form(server, bad_sig, b"x")
    assert (r.status_code, parse_error(r.content)["Code"]) == (403, "SignatureDoesNotMatch")
    r = post_form(server, dict(ok, key="elsewhere/${filename}"), b"x")
    assert (r.status_code, parse_error(r.content)["Code"]) == (403, "AccessDenied")
    r = post_form(server, ok, b"y" * 1001, filename="big.txt")
    assert (r.status_code, parse_error(r.content)["Code"]) == (400, "EntityTooLarge")
    assert client.object_exists(Bucket=BUCKET, Key="form/big.txt") is False
    r = post_form(server, dict(ok, **{"q-ak": TEMP_ID}), b"x")
    assert r.status_code == 403
    expired = dict(signed_fields("form/", seconds=-10), key="form/late.txt")
    r = post_form(server, expired, b"x")
    assert (r.status_code, parse_error(r.content)["Code"]) == (403, "AccessDenied")
    assert client.object_exists(Bucket=BUCKET, Key="form/late.txt") is False
