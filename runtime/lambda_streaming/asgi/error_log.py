"""What an adapter writes to the function's log when the app fails, and the 500 it answers.

Owns: the log record of an app's exception that the adapter turns into a 500 (the client gets
no traceback, as from uvicorn; the log gets all of it, with the request id), in the format
``AWS_LAMBDA_LOG_FORMAT`` selects (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html).

Does not: report errors to Lambda; an exception the adapter re-raises is the runtime's to
report (``/error`` or the error trailers) and to log.
"""

from __future__ import annotations

import os
import sys
import time

from lambda_streaming import error_type

INTERNAL_ERROR_BODY = b"Internal Server Error"
INTERNAL_ERROR_HEADERS = [("content-type", "text/plain; charset=utf-8")]


def log_app_error(what: str, error: BaseException, context: object) -> None:
    """Log ``error`` (raised by the app) with the invocation's request id and traceback."""
    import traceback  # paid on the first failure only

    request_id = str(getattr(context, "aws_request_id", "") or "")
    stack = traceback.format_exception(error)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        import json

        record = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": "ERROR",
            "message": f"{what}: {type(error).__name__}: {error}",
            "requestId": request_id,
            "errorType": error_type(error),
            "stackTrace": stack,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    # Carriage returns keep the traceback in one CloudWatch record, as the runtime does.
    text = f"[ERROR]\t{request_id}\t{what}\r" + "".join(stack).rstrip("\n").replace("\n", "\r")
    sys.stdout.write(text + "\n")
