from typing import Any, Mapping, Optional, TypeVar

from requests.auth import AuthBase
from requests.models import PreparedRequest

from ._cos_sign import CosConfig

_R = TypeVar("_R", bound=PreparedRequest)

class CosS3Auth(AuthBase):
    """qcloud_cos.cos_auth.CosS3Auth: signs a prepared request with the SDK's Authorization."""

    def __init__(
        self,
        conf: CosConfig,
        key: Optional[Any] = None,
        params: Mapping[Any, Any] = {},
        expire: int = 10000,
        sign_host: Optional[bool] = None,
    ) -> None: ...
    def __call__(self, r: _R) -> _R: ...
