"""``CosS3Auth``: qcloud_cos's ``requests`` auth class, signing in Rust."""

from __future__ import annotations

from ._cos_sign import CosS3Client
from ._exceptions import CosClientError

try:
    from requests.auth import AuthBase
except ImportError:  # requests is needed only to send requests, not to build this object

    class AuthBase:  # type: ignore[no-redef]
        """Stands in for ``requests.auth.AuthBase`` when requests is not installed."""

        def __call__(self, r):
            raise NotImplementedError("Auth hooks must be callable.")

__all__ = ["CosS3Auth"]


class CosS3Auth(AuthBase):
    """``qcloud_cos.cos_auth.CosS3Auth``: ``requests.put(url, auth=CosS3Auth(conf, key))`` sets
    the request's ``Authorization`` to the SDK's bytes: the prepared request's method, the
    hostname of its URL (unless ``sign_host`` is off or a ``Host`` header is sent), its
    allow-listed headers, and ``params`` (signed unless ``CosConfig(SignParams=False)``)."""

    def __init__(self, conf, key=None, params={}, expire=10000, sign_host=None):  # noqa: B006 (the SDK's defaults)
        # the SDK reads the secrets, SignHost and SignParams here, once
        self._client = CosS3Client(conf._frozen(), 3, False)  # a session: no pool check
        self._anonymous = conf._anonymous
        if key:  # as the SDK: to_unicode(key), then key[0] (a TypeError for an int or a float)
            if isinstance(key, bytes):
                try:
                    key = key.decode("utf-8")
                except UnicodeDecodeError:
                    raise CosClientError(
                        "your bytes strings can not be decoded in utf8, utf8 support only!"
                    ) from None
            key[0]
        self._key = key if key else None  # the SDK signs the path "/" for a falsy key
        self._params = params
        self._expire = expire
        self._sign_host = sign_host

    def __call__(self, r):
        if self._anonymous:  # before the path or any header is looked at, as the SDK
            r.headers["Authorization"] = ""
            return r
        r.headers["Authorization"] = self._client._sign_request(
            r.method, r.url, self._key, self._expire, r.headers, self._params, self._sign_host
        )
        return r
