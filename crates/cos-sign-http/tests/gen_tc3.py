"""Generates tests/data/tc3.json: TencentCloud API v3 (TC3-HMAC-SHA256) Authorization headers
computed by the official SDK (PyPI `tencentcloud-sdk-python-common`), for the STS provider's
signer. Run: python -m venv /tmp/tcvenv && /tmp/tcvenv/bin/pip install
tencentcloud-sdk-python-common && /tmp/tcvenv/bin/python tests/gen_tc3.py > tests/data/tc3.json
"""
import json
import time
from unittest import mock

import tencentcloud
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.http.request import RequestInternal

CASES = [
    (1551113065, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
     "GetFederationToken", "ap-guangzhou",
     {"Name": "cos-sign", "Policy": "{\"version\":\"2.0\"}", "DurationSeconds": 1800}),
    (1700000000, "AKIDtestId", "test+key/with=chars", "AssumeRole", "ap-beijing",
     {"RoleArn": "qcs::cam::uin/100000000001:roleName/cos", "RoleSessionName": "s1",
      "DurationSeconds": 7200}),
    (1795884400, "AKIDother", "k\u00e9y", "GetFederationToken", "ap-shanghai",
     {"Name": "n\u00e4me", "Policy": "{}"}),
    (86399, "A", "B", "AssumeRole", "ap-guangzhou", {}),
]

out = []
for ts, sid, skey, action, region, params in CASES:
    cred = credential.Credential(sid, skey)
    client = CommonClient("sts", "2018-08-13", cred, region)
    req = RequestInternal(client._get_endpoint(), "POST", "/")
    with mock.patch("time.time", return_value=ts):
        client._build_req_with_tc3_signature(action, params, req)
    out.append({
        "timestamp": ts, "secret_id": sid, "secret_key": skey, "action": action,
        "region": region, "host": req.header["Host"], "content_type": req.header["Content-Type"],
        "payload": req.data, "authorization": req.header["Authorization"],
        "x_tc_version": req.header["X-TC-Version"],
    })
print(json.dumps({"sdk": "tencentcloud-sdk-python-common " + tencentcloud.__version__, "cases": out},
                 indent=1, ensure_ascii=False))
