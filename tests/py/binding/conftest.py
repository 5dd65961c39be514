"""Shared setup of the cos_sign binding tests (the generator and runner live in gen.py).

The differential seed is chosen here, once per run (COS_SIGN_SEED, else a random one), and
printed in the report header and summary so any run can be replayed."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))

if not os.environ.get("COS_SIGN_SEED"):
    os.environ["COS_SIGN_SEED"] = str(random.randrange(2 ** 32))


def _line():
    n = os.environ.get("COS_SIGN_DIFF_N", "5000")
    return f"cos_sign differential: seed={os.environ['COS_SIGN_SEED']} calls={n} (replay: COS_SIGN_SEED=<seed>)"


def pytest_report_header(config):
    return _line()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(_line())
