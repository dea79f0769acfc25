"""The LMI bench's handler on awslambdaric 4.x: buffered only, so it returns the whole text."""

import http.client
import os
from urllib.parse import urlsplit

MODEL = urlsplit(os.environ["BENCH_MODEL_URL"])


def handler(event, context):
    connection = http.client.HTTPConnection(MODEL.hostname, MODEL.port)
    connection.request("GET", f"/?tokens={event['tokens']}")
    text = connection.getresponse().read().decode()
    connection.close()
    return text
