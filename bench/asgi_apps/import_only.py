"""The app imported, with no adapter: the baseline the adapter's start-up cost is read against."""

from app import app


def handler(event: object, context: object) -> str:
    return type(app).__name__
