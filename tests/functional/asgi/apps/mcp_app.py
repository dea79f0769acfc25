"""An MCP server built with the official SDK, stateless Streamable HTTP, under asgi_handler."""

from gate import wait_open
from mcp.server.mcpserver import Context, MCPServer

from lambda_streaming.asgi import asgi_handler

server = MCPServer("lambda-streaming-test")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
async def count(to: int, release: str, ctx: Context) -> str:
    """Count, reporting progress at each step; waits for the test's gate after the first."""
    for step in range(1, to + 1):
        await ctx.report_progress(step, to, f"step {step}")
        if step == 1:
            await wait_open(release)
    return f"counted to {to}"


app = server.streamable_http_app(stateless_http=True)
handler = asgi_handler(app)
