"""The exceptions of ``cos_sign``: the same classes, constructors and accessors as
``qcloud_cos.cos_exception`` (qcloud_cos 1.9.44), so ``except CosClientError`` code ports as is."""

from __future__ import annotations

import json
import xml.dom.minidom
from collections.abc import Mapping

__all__ = ["CosException", "CosClientError", "CosRefusedError", "CosServiceError"]


class CosException(Exception):
    """Base class of the COS exceptions."""

    def __init__(self, message):
        self._message = message

    def __str__(self):
        return str(self._message)


def _digest_xml(data):
    msg = dict()
    try:
        tree = xml.dom.minidom.parseString(data)
        root = tree.documentElement
        for tag, name in (("Code", "code"), ("Message", "message"), ("Resource", "resource"),
                          ("RequestId", "requestid")):
            result = root.getElementsByTagName(tag)
            msg[name] = result[0].childNodes[0].nodeValue
        result = root.getElementsByTagName("TraceId")
        if result and len(result[0].childNodes) > 0:
            msg["traceid"] = result[0].childNodes[0].nodeValue
        else:
            msg["traceid"] = "Unknown"
        return msg
    except Exception:
        return "Response Error Msg Is INVALID"


def _digest_json(data):
    try:
        return json.loads(data)
    except Exception:
        return "Response Error Msg Is INVALID"


def _digest_xml_or_json(data):
    msg = _digest_xml(data)
    if isinstance(msg, dict):
        return msg
    return _digest_json(data)


class CosClientError(CosException):
    """An error on the client side: a refused argument or configuration."""

    def __init__(self, message):
        CosException.__init__(self, message)


class CosRefusedError(CosClientError):
    """A ``CosClientError`` that qcloud_cos 1.9.44 would not raise: cos_sign refuses a value the
    SDK lets through although it changes or breaks the request host (a region or bucket ending
    with a newline, an endpoint, domain, IP, port or appid holding ``/ ? # @`` and the like), a
    key time before 1970, an Expired that is not an integer or does not fit 64 bits, or bytes that
    are not UTF-8 in a header or param. ``except CosClientError`` catches it."""


class CosServiceError(CosException):
    """An error answered by COS; the accessors read its parsed XML (or JSON) body."""

    def __init__(self, method, message, status_code):
        CosException.__init__(self, message)
        if isinstance(message, Mapping):
            self._origin_msg = ""
            self._digest_msg = message
        else:
            self._origin_msg = message
            self._digest_msg = _digest_xml_or_json(message)
        self._status_code = status_code

    def __str__(self):
        return str(self._digest_msg)

    def get_origin_msg(self):
        """The raw (XML) error body."""
        return self._origin_msg

    def get_digest_msg(self):
        """The parsed error body (a dict, or a string when it could not be parsed)."""
        return self._digest_msg

    def get_status_code(self):
        """The HTTP status code."""
        return self._status_code

    def get_error_code(self):
        """COS's error code (``Unknown`` when the body could not be parsed)."""
        if isinstance(self._digest_msg, dict):
            return self._digest_msg["code"]
        return "Unknown"

    def get_error_msg(self):
        """COS's error message (``Unknown`` when the body could not be parsed)."""
        if isinstance(self._digest_msg, dict):
            return self._digest_msg["message"]
        return "Unknown"

    def get_resource_location(self):
        """The resource the error is about (``Unknown`` when the body could not be parsed)."""
        if isinstance(self._digest_msg, dict):
            return self._digest_msg["resource"]
        return "Unknown"

    def get_trace_id(self):
        """COS's trace id (``Unknown`` when absent)."""
        if isinstance(self._digest_msg, dict):
            return self._digest_msg["traceid"]
        return "Unknown"

    def get_request_id(self):
        """COS's request id (``Unknown`` when the body could not be parsed)."""
        if isinstance(self._digest_msg, dict):
            return self._digest_msg["requestid"]
        return "Unknown"


for _cls in (CosException, CosClientError, CosRefusedError, CosServiceError):
    _cls.__module__ = "cos_sign"
del _cls
