#!/usr/bin/env python3
"""The pre-signed query the firmware must print, computed by the official SDK
(qcloud_cos, cos-python-sdk-v5==1.9.44): CosS3Client.get_presigned_url with time.time()
frozen at the firmware's NOW, so the SDK's window (now-60 .. now+Expired) is the
firmware's key time. Prints the URL's part after '?'.

Keep in step with PRESIGN_* and DOC_SECRET_* in src/main.rs: a difference makes the
comparison fail, it cannot make it pass."""
import time

NOW = 1_700_000_000
EXPIRES = 3600
SECRET_ID = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"
SECRET_KEY = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz"
BUCKET = "examplebucket-1250000000"
REGION = "ap-beijing"
KEY = "docs/report 2024(腾讯云).pdf"
PARAMS = {
    "response-content-disposition": 'attachment; filename="report 2024.pdf"',
    "versionId": "MTg0NDUxNTc1NjIzMTQ1MDAwODg",
}


def main():
    time.time = lambda: NOW  # cos_auth.py calls time.time() for the window
    from qcloud_cos import CosConfig, CosS3Client

    conf = CosConfig(Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY)
    url = CosS3Client(conf).get_presigned_url(
        Bucket=BUCKET, Key=KEY, Method="GET", Expired=EXPIRES, Params=PARAMS
    )
    host = f"https://{BUCKET}.cos.{REGION}.myqcloud.com/"
    assert url.startswith(host), url  # the host the firmware signs
    print(url.split("?", 1)[1])


if __name__ == "__main__":
    main()
