"""Helpers for the local-server tests: credentials, the server process, SDK clients."""

import pathlib
import subprocess
import tempfile
import threading
import xml.etree.ElementTree as ET

from qcloud_cos import CosConfig, CosS3Client

ROOT = pathlib.Path(__file__).resolve().parents[3]

REGION = "ap-guangzhou"
BUCKET = "examplebucket-1250000000"
HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"

PERM_ID = "AKIDpermanentExampleKey00000000000001"
PERM_KEY = "PermanentSecretKeyExample+/=0000001"
TEMP_ID = "AKIDtemporaryExampleKey00000000000002"
TEMP_KEY = "TemporarySecretKeyExample0000000002"
TEMP_TOKEN = "token:Example+/=%20tmp-0002"


class Server:
    """A running cos-sign-server process."""

    def __init__(self, binary, data_dir, extra=()):
        """`data_dir` None: the memory store."""
        self.data_dir = None if data_dir is None else pathlib.Path(data_dir)
        self.log = tempfile.TemporaryFile(mode="w+")
        store = [] if data_dir is None else ["--data-dir", str(self.data_dir)]
        args = [
            str(binary),
            "--addr",
            "127.0.0.1:0",
            *store,
            "--credential",
            f"{PERM_ID}:{PERM_KEY}",
            "--credential",
            f"{TEMP_ID}:{TEMP_KEY}:{TEMP_TOKEN}",
            "--default-bucket",
            BUCKET,
            *extra,
        ]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        first = {}

        def read_first_line():
            first["line"] = self.proc.stdout.readline()

        reader = threading.Thread(target=read_first_line, daemon=True)
        reader.start()
        reader.join(30)
        line = first.get("line", "")
        if not line.startswith("listening on http://"):
            self.stop()
            raise RuntimeError(f"server did not start: {line!r} {self.logs()}")
        self.addr = line.strip().removeprefix("listening on http://")
        self.port = int(self.addr.rsplit(":", 1)[1])
        self.url = f"http://{self.addr}"
        self.proxies = {"http": self.url}

    def logs(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ip_client(server, secret_id=PERM_ID, secret_key=PERM_KEY, token=None):
    """The SDK in IP mode: requests go to the server, `Host` names the bucket."""
    conf = CosConfig(
        Region=REGION,
        SecretId=secret_id,
        SecretKey=secret_key,
        Token=token,
        IP="127.0.0.1",
        Port=server.port,
        Scheme="http",
    )
    return CosS3Client(conf, retry=0)


def cos_client(secret_id=PERM_ID, secret_key=PERM_KEY, token=None):
    """The SDK with the real COS host (for pre-signed URLs and Authorization headers)."""
    conf = CosConfig(
        Region=REGION,
        SecretId=secret_id,
        SecretKey=secret_key,
        Token=token,
        Scheme="http",
    )
    return CosS3Client(conf, retry=0)


def parse_error(body):
    """The fields of a COS XML error body, as a dict."""
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    return {child.tag: (child.text or "") for child in root}
