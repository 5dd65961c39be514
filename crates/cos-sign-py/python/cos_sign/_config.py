"""``CosConfig.__init__``'s keyword handling: plain Python argument conversion, in the SDK's order
(``to_unicode``, ``str()`` of non-strings, truthiness, the secret pair chosen). The checks and the
hosts are Rust's (``cos_sign_qcloud::SdkConfig``); ``_cos_sign.CosConfig`` calls ``convert``."""

from __future__ import annotations

from ._exceptions import CosClientError, CosRefusedError

MSG_ENCODE = "your unicode strings can not encoded in utf8, utf8 support only!"
MSG_DECODE = "your bytes strings can not be decoded in utf8, utf8 support only!"
MSG_BAD_BYTES = "bytes that are not valid UTF-8 in a header or param are refused by cos_sign"
_COPY_PART_THRESHOLD_SIZE = 5 * 1024 * 1024 * 1024


def _encodable(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _checked(s):
    """A ``str`` that UTF-8 can encode, else the SDK's ``to_bytes`` error."""
    if not _encodable(s):
        raise CosClientError(MSG_ENCODE)
    return str.__str__(s)


def _to_unicode(v):
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise CosClientError(MSG_DECODE) from None
    return v


def _text(v):
    """``to_str`` then ``to_bytes``: a ``str``, ``bytes`` decoded, anything else ``str()``."""
    if isinstance(v, str):
        return _checked(v)
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise CosRefusedError(MSG_BAD_BYTES) from None
    return _checked(str(v))


def _unicode_opt(v):
    """``to_unicode`` of a value used as text; ``None`` stays ``None``."""
    if v is None:
        return None
    if isinstance(v, bytes):
        return _to_unicode(v)
    return _text(v)


def _format(v):
    """``"{}".format(v)``: an exact ``str`` as is, anything else its ``__format__`` (a ``str``
    subclass's may differ from its text: a ``(str, Enum)`` member gives ``Cls.NAME``)."""
    return _checked(v if type(v) is str else "{}".format(v))


def _format_opt(v):
    """``"{}".format(to_unicode(v))`` of a value the SDK formats into a URL; ``None`` stays."""
    return None if v is None else _format(_to_unicode(v))


def _subclass_format(v):
    """``"{}".format(v)`` of a ``str`` subclass when it differs from its text, else ``None``."""
    if not isinstance(v, str) or type(v) is str:
        return None
    f = _format(v)
    return None if f == str.__str__(v) else f


def _secret(v):
    """``convert_secret_value``'s type handling: (text, has a lone surrogate), or the error."""
    u = _to_unicode(v)
    if not isinstance(u, str):
        u.endswith(" ")  # its own error (a bytearray's TypeError), if it has the method
        raise AttributeError(f"'{type(v).__name__}' object has no attribute 'endswith'")
    if type(u) is not str:  # to_bytes calls a subclass's own encode (the key's HMAC bytes)
        try:
            b = u.encode("utf-8")
        except UnicodeEncodeError:
            b = None
        if isinstance(b, bytes):
            try:
                return b.decode("utf-8"), False
            except UnicodeDecodeError:
                pass
    if _encodable(u):
        return str.__str__(u), False
    # accepted here (the spaces are still checked), refused when signing
    return u.encode("utf-8", "surrogatepass").decode("utf-8", "replace"), True


def convert(Appid=None, Region=None, SecretId=None, SecretKey=None, Token=None,  # noqa: N803
            CredentialInstance=None, Scheme=None, Timeout=None, Access_id=None, Access_key=None,
            Secret_id=None, Secret_key=None, Endpoint=None, IP=None, Port=None, Anonymous=None,
            UA=None, Proxies=None, Domain=None, ServiceDomain=None, KeepAlive=True,
            PoolConnections=10, PoolMaxSize=10, AllowRedirects=False, SignHost=True,
            EndpointCi=None, EndpointPic=None, EnableOldDomain=True, EnableInternalDomain=True,
            SignParams=True, AutoSwitchDomainOnRetry=False, VerifySSL=None, SSLCert=None):
    """The keywords as ``cos_sign_qcloud::SdkOptions`` fields, the SDK's attributes, the
    ``CredentialInstance`` to read at each call, the secret's type error (raised after the
    checks that come before it), whether the secret key is poisoned, and what ``_endpoint_pic``
    is formatted from."""
    # In the SDK's order: to_unicode of Appid, Token, IP.
    appid_u = None if Appid is None else _to_unicode(Appid)
    token_u = None if Token is None else _to_unicode(Token)
    ip_u = None if IP is None else _to_unicode(IP)
    appid_truthy = appid_u is not None and bool(appid_u)
    appid_is_str = isinstance(appid_u, str)
    appid = _unicode_opt(appid_u) if appid_truthy and appid_is_str else None

    # Region: a non-string one is refused where the SDK formats it.
    endpoint_truthy = Endpoint is not None and bool(Endpoint)
    endpoint_ci_truthy = EndpointCi is not None and bool(EndpointCi)
    region_truthy = Region is not None and bool(Region)
    region = region_format = None
    if region_truthy:
        if isinstance(Region, str):
            region = _checked(Region)
            region_format = _subclass_format(Region)
        elif not (endpoint_ci_truthy and (Domain is not None or endpoint_truthy)):
            raise CosClientError("region is not string type")
    # What the SDK formats into its URLs ("{bucket}.{endpoint}", "{scheme}://{url}/..."):
    # to_unicode'd, except an Endpoint stored beside a Domain (get_host formats it as it is).
    if Domain is None:
        endpoint = _format_opt(Endpoint) if endpoint_truthy else None
    else:
        endpoint = None if Endpoint is None else _format(Endpoint)
    scheme = scheme_format = None
    if Scheme is not None:
        u = _to_unicode(Scheme)
        scheme = str.__str__(u) if isinstance(u, str) and _encodable(u) else ""
        if isinstance(u, str) and type(u) is not str:
            # the SDK compares with the object's own !=, then formats it into its URLs
            scheme = "https" if not (u != "http" and u != "https") else ""
            scheme_format = _format(u) if scheme else None
    endpoint_ci = _format_opt(EndpointCi) if endpoint_ci_truthy else None
    domain = _format_opt(Domain)
    ip = _format_opt(ip_u)
    port = None if Port is None else _format(Port)
    anonymous = Anonymous is not None and bool(Anonymous)

    # The secret pair the SDK picks, converted (type errors are AttributeErrors there).
    pairs = [(SecretId, SecretKey), (Secret_id, Secret_key), (Access_id, Access_key)]
    chosen = next((p for p in pairs if p[0] is not None and p[0] and p[1] is not None and p[1]), None)
    cred_ok = (CredentialInstance is not None and bool(CredentialInstance)
               and hasattr(CredentialInstance, "secret_id") and hasattr(CredentialInstance, "secret_key")
               and hasattr(CredentialInstance, "token"))
    options = {
        "appid": appid, "appid_not_string": appid_truthy and not appid_is_str, "region": region,
        "region_format": region_format, "scheme_format": scheme_format, "secret_id_format": None,
        "credential_instance": chosen is None and cred_ok, "scheme": scheme, "endpoint": endpoint,
        "ip": ip, "port": port, "anonymous": anonymous, "domain": domain,
        "sign_host": bool(SignHost), "endpoint_ci": endpoint_ci,
        "enable_old_domain": bool(EnableOldDomain), "enable_internal_domain": bool(EnableInternalDomain),
        "sign_params": bool(SignParams), "secret_id": None, "secret_key": None,
    }
    poisoned_key = False
    secret_error = None
    if chosen is not None:
        try:
            secret_id, _ = _secret(chosen[0])
            options["secret_id_format"] = _subclass_format(_to_unicode(chosen[0]))
            try:
                secret_key, poisoned_key = _secret(chosen[1])
            except Exception as e:  # noqa: BLE001 (raised after the checks before it)
                secret_error, secret_key = e, "x"
        except Exception as e:  # noqa: BLE001
            secret_error, secret_id, secret_key = e, "x", "x"
        options["secret_id"], options["secret_key"] = secret_id, secret_key

    attrs = {
        "_appid": appid_u, "_token": token_u, "_timeout": Timeout, "_region": Region, "_ip": ip_u,
        "_port": Port, "_anonymous": Anonymous, "_ua": UA, "_proxies": Proxies, "_domain": Domain,
        "_service_domain": ServiceDomain, "_keep_alive": KeepAlive,
        "_pool_connections": PoolConnections, "_pool_maxsize": PoolMaxSize,
        "_allow_redirects": AllowRedirects, "_sign_host": SignHost,
        "_copy_part_threshold_size": _COPY_PART_THRESHOLD_SIZE,
        "_enable_old_domain": EnableOldDomain, "_enable_internal_domain": EnableInternalDomain,
        "_sign_params": SignParams, "_auto_switch_domain_on_retry": AutoSwitchDomainOnRetry,
        "_verify_ssl": VerifySSL, "_ssl_cert": SSLCert,
    }
    if Domain is not None:
        attrs["_endpoint"] = Endpoint
    if chosen is None and cred_ok:
        attrs["_credential_inst"] = CredentialInstance
    elif chosen is None and anonymous:
        attrs["_credential_inst"] = None
    # EndpointPic is stored by the SDK, but it formats _endpoint_pic from EndpointCi or Region.
    pic_region = Region if region_truthy and isinstance(Region, str) and _encodable(Region) else None
    return (options, attrs, CredentialInstance, secret_error, poisoned_key, endpoint_ci_truthy,
            pic_region, Domain is not None)
