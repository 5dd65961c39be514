from typing import Any, Dict, Mapping, Optional, Protocol, Union

_Str = Union[str, bytes]

class _Credential(Protocol):
    secret_id: Any
    secret_key: Any
    token: Any

__version__: str

class CosConfig:
    """CosConfig of qcloud_cos 1.9.44: the same keyword arguments, order and defaults."""

    def __init__(
        self,
        Appid: Optional[_Str] = None,
        Region: Optional[str] = None,
        SecretId: Optional[_Str] = None,
        SecretKey: Optional[_Str] = None,
        Token: Optional[_Str] = None,
        CredentialInstance: Optional[_Credential] = None,
        Scheme: Optional[_Str] = None,
        Timeout: Any = None,
        Access_id: Optional[_Str] = None,
        Access_key: Optional[_Str] = None,
        Secret_id: Optional[_Str] = None,
        Secret_key: Optional[_Str] = None,
        Endpoint: Optional[_Str] = None,
        IP: Optional[_Str] = None,
        Port: Any = None,
        Anonymous: Any = None,
        UA: Any = None,
        Proxies: Any = None,
        Domain: Optional[_Str] = None,
        ServiceDomain: Any = None,
        KeepAlive: Any = True,
        PoolConnections: Any = 10,
        PoolMaxSize: Any = 10,
        AllowRedirects: Any = False,
        SignHost: Any = True,
        EndpointCi: Optional[_Str] = None,
        EndpointPic: Optional[_Str] = None,
        EnableOldDomain: Any = True,
        EnableInternalDomain: Any = True,
        SignParams: Any = True,
        AutoSwitchDomainOnRetry: Any = False,
        VerifySSL: Any = None,
        SSLCert: Any = None,
    ) -> None: ...
    def uri(
        self,
        bucket: Optional[str] = None,
        path: Optional[_Str] = None,
        endpoint: Optional[str] = None,
        domain: Optional[str] = None,
        useAppid: Any = False,
    ) -> str: ...
    def get_host(self, Bucket: Optional[str] = None, Appid: Any = None) -> Optional[str]: ...
    def set_ip_port(self, IP: Optional[_Str], Port: Any = None) -> None: ...
    def set_credential(self, SecretId: _Str, SecretKey: _Str, Token: Optional[_Str] = None) -> None: ...

class CosS3Client:
    """CosS3Client of qcloud_cos 1.9.44, limited to its signing and URL methods."""

    def __init__(self, conf: CosConfig, retry: int = 3, session: Any = None) -> None: ...
    def get_conf(self) -> CosConfig: ...
    def get_auth(
        self,
        Method: str,
        Bucket: Optional[str],
        Key: Optional[_Str],
        Expired: int = 300,
        Headers: Optional[Mapping[Any, Any]] = {},
        Params: Optional[Mapping[Any, Any]] = {},
        SignHost: Optional[bool] = None,
        UseCiEndPoint: bool = False,
    ) -> str: ...
    def get_presigned_url(
        self,
        Bucket: Optional[str],
        Key: _Str,
        Method: str,
        Expired: int = 300,
        Params: Optional[Mapping[Any, Any]] = {},
        Headers: Optional[Mapping[Any, Any]] = {},
        UseCiEndPoint: bool = False,
        SignHost: Optional[bool] = None,
    ) -> str: ...
    def get_presigned_download_url(
        self,
        Bucket: Optional[str],
        Key: _Str,
        Expired: int = 300,
        Params: Optional[Mapping[Any, Any]] = {},
        Headers: Optional[Mapping[Any, Any]] = {},
        UseCiEndPoint: bool = False,
        SignHost: Optional[bool] = None,
    ) -> str: ...
    def get_object_url(self, Bucket: Optional[str], Key: _Str) -> str: ...
