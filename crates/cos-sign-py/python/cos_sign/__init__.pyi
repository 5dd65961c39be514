from ._cos_sign import CosConfig as CosConfig, CosS3Client as CosS3Client, __version__ as __version__
from ._auth import CosS3Auth as CosS3Auth
from ._exceptions import (
    CosClientError as CosClientError,
    CosException as CosException,
    CosRefusedError as CosRefusedError,
    CosServiceError as CosServiceError,
)

__all__ = ["CosConfig", "CosS3Client", "CosS3Auth", "CosClientError", "CosRefusedError", "CosServiceError", "CosException", "__version__"]
