"""Buffered trivial handler, the same as bench/peers/awslambdaric/buffered.py."""


def handler(event, context):
    return {"ok": True}
