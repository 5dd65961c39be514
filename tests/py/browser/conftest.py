"""The browser test runs apart from tests/py/server (scripts/test.sh installs Chromium
first) but against the same server: its fixtures are loaded from tests/py/server."""

import importlib.util
import pathlib
import sys

_SERVER = pathlib.Path(__file__).resolve().parents[1] / "server"
sys.path.insert(0, str(_SERVER))
_spec = importlib.util.spec_from_file_location("server_conftest", _SERVER / "conftest.py")
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)

server_binary = _conftest.server_binary
server = _conftest.server
client = _conftest.client
