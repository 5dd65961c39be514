"""cos_sign: the signing API of qcloud_cos (cos-python-sdk-v5 1.9.44), many times faster.

Replace ``from qcloud_cos import CosConfig, CosS3Client`` with
``from cos_sign import CosConfig, CosS3Client``: same keywords, same strings, same exceptions.
``CosS3Auth`` replaces ``qcloud_cos.cos_auth.CosS3Auth``. The signing rules are implemented in
Rust (crates cos-sign-core, cos-sign-std and cos-sign-qcloud).
"""

from ._exceptions import CosClientError, CosException, CosRefusedError, CosServiceError
from ._cos_sign import CosConfig, __version__
from ._client import CosS3Client
from ._auth import CosS3Auth

__all__ = ["CosConfig", "CosS3Client", "CosS3Auth", "CosClientError", "CosRefusedError", "CosServiceError", "CosException", "__version__"]
