"""A Flask app whose generator response streams through wsgi_handler."""

from collections.abc import Iterator

from flask import Flask, Response, jsonify, request, stream_with_context
from gate import wait_open_sync

from lambda_streaming.wsgi import wsgi_handler

app = Flask(__name__)


@app.get("/stream")
def stream() -> Response:
    release = request.args["release"]

    @stream_with_context
    def lines() -> Iterator[str]:
        yield f"hello {request.args.get('name', 'nobody')}\n"
        wait_open_sync(release)
        yield "after the gate\n"

    return Response(lines(), mimetype="text/plain", headers={"x-flask": "yes"})


@app.post("/echo")
def echo() -> Response:
    response = jsonify(
        {
            "json": request.get_json(),
            "path": request.path,
            "script_root": request.script_root,
            "query": request.args.to_dict(flat=False),
            "cookies": request.cookies.to_dict(),
            "remote_addr": request.remote_addr,
            "request_id": request.environ["aws.context"].aws_request_id,
        }
    )
    response.set_cookie("flask", "1")
    response.set_cookie("other", "2")
    return response


@app.get("/boom")
def boom() -> str:
    raise ValueError("flask secret")


@app.get("/fail-mid-stream")
def fail_mid_stream() -> Response:
    def lines() -> Iterator[str]:
        yield "partial "
        raise RuntimeError("generator broke")

    return Response(lines(), mimetype="text/plain")


handler = wsgi_handler(app)
buffered_handler = wsgi_handler(app, response_mode="buffered")
