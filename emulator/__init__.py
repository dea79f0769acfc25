"""Local AWS Lambda emulator (development only, never shipped in the runtime asset).

It runs the real ``runtime/bootstrap`` as a sandbox process and serves, on loopback:
the Lambda Runtime API (server side), a Function URL front door that really streams, and the
Lambda Invoke APIs (``Invoke`` and ``InvokeWithResponseStream``) so unmodified boto3 works.
It is an independent implementation of the service side of the wire and never imports the
runtime package ``lambda_streaming``. Start it with ``python -m emulator --help``.
"""
