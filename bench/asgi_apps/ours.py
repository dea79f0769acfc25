"""The app under lambda_streaming.asgi.asgi_handler (streams)."""

from app import app
from lambda_streaming.asgi import asgi_handler

handler = asgi_handler(app)
