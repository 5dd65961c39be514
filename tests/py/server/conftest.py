"""Starts the local COS-compatible server (`cos-sign-server`) for the tests of this folder.

The binary is built with cargo once per session, then started on 127.0.0.1:0 with a temporary
data folder and known credentials; its first stdout line gives the port.
"""

import os
import pathlib
import shutil
import subprocess

import pytest

from server_helpers import ROOT, Server, cos_client, ip_client

# Requests made here go to loopback only: no proxy from the environment.
for _name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


@pytest.fixture(scope="session")
def server_binary():
    cargo = shutil.which("cargo") or os.path.expanduser("~/.cargo/bin/cargo")
    subprocess.run(
        [cargo, "build", "-p", "cos-sign-server", "--bin", "cos-sign-server"],
        cwd=ROOT,
        check=True,
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "debug" / "cos-sign-server"
    assert binary.exists(), binary
    return binary


@pytest.fixture(scope="session")
def server(server_binary, tmp_path_factory):
    s = Server(server_binary, tmp_path_factory.mktemp("cos-data"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def future_server(server_binary, tmp_path_factory):
    """A server whose clock runs a day ahead: SDK signatures (10000 s at most by default) have expired there."""
    s = Server(
        server_binary,
        tmp_path_factory.mktemp("cos-data-future"),
        extra=("--clock-offset", "86400"),
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def memory_server(server_binary):
    """A server on the memory store, one a test module."""
    s = Server(server_binary, None)
    yield s
    s.stop()


@pytest.fixture(params=["disk", "memory"])
def any_server(request, server, memory_server):
    """Each test twice: on the disk store (the session's server) and on the memory store."""
    return server if request.param == "disk" else memory_server


@pytest.fixture
def client(server):
    return ip_client(server)


@pytest.fixture
def presigner():
    return cos_client()


