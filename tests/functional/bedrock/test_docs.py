"""Every Python block of docs/bedrock.md runs as written, in order, against the fake Bedrock."""

import contextlib
import io
import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[3] / "docs" / "bedrock.md"


def test_every_python_example_in_the_bedrock_docs_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 5
    namespace: dict[str, Any] = {"__name__": "docs_bedrock"}
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            for index, block in enumerate(blocks):
                exec(compile(block, f"{DOC.name}[python block {index}]", "exec"), namespace)
    finally:
        if "client" in namespace:
            namespace["client"].close()
        if "fake" in namespace:
            namespace["fake"].stop()
    printed = output.getvalue()
    # The outputs the comments promise.
    assert "こんにちは!ローカルの疑似 Bedrock です。" in printed
    assert (
        "end_turn Usage(input_tokens=10, output_tokens=23, cache_read_input_tokens=None" in printed
    )
    assert "Hello! I am the local fake Bedrock." in printed
    assert "Let me look that up. -> get_weather({'city': 'Tokyo'})\nstop: tool_use" in printed
    assert "The user asks something simple. A short, friendly answer fits." in printed
    assert "['Hello!', ' I'] Function.ThrottlingException" in printed
    assert "['a', 'b', '[timeout]'] True" in printed
    assert "'data: line 1\\ndata: line 2\\n\\n'" in printed
    assert "\n429\n" in printed
