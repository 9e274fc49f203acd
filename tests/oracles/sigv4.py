"""botocore's Signature V4, the oracle of the Rust signer: reads a JSON list
of requests on standard input and prints, for each, the headers botocore's
signer adds, at the request's fixed time."""

import datetime
import json
import sys
from unittest import mock

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for case in json.load(sys.stdin):
    credentials = Credentials(case["access_key_id"], case["secret_access_key"], case.get("session_token"))
    signer = (S3SigV4Auth if case["service"] == "s3" else SigV4Auth)(credentials, case["service"], case["region"])
    request = AWSRequest(
        method=case["method"], url=case["url"], headers=dict(case["headers"]), data=case["body"].encode()
    )
    when = datetime.datetime.strptime(case["time"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)
    out.append({k.lower(): v for k, v in request.headers.items() if k.lower() not in dict(case["headers"])})
json.dump(out, sys.stdout)
