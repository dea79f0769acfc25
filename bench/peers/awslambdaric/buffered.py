"""Buffered trivial handler, the same as bench/peers/ours/buffered.py."""


def handler(event, context):
    return {"ok": True}
