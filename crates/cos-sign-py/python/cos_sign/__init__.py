"""cos_sign: the signing API of qcloud_cos (cos-python-sdk-v5 1.9.44), many times faster.

Replace ``from qcloud_cos import CosConfig, CosS3Client`` with
``from cos_sign import CosConfig, CosS3Client``: same keywords, same strings, same exceptions.
The signing rules are implemented in Rust (crates cos-sign-core and cos-sign-std).
"""

from ._exceptions import CosClientError, CosException, CosRefusedError, CosServiceError
from ._cos_sign import CosConfig, CosS3Client, __version__

__all__ = ["CosConfig", "CosS3Client", "CosClientError", "CosRefusedError", "CosServiceError", "CosException", "__version__"]
