// Reads POST /api/chat as a useChat front end does, with the `ai` package's own code:
// DefaultChatTransport (fetch, SSE parsing, uiMessageChunkSchema validation) and
// readUIMessageStream (the UIMessage that useChat renders, rebuilt part by part).
//
//   node aisdk_reader.mjs <api url> '<json: {messages, body}>'
//
// Prints one JSON line: {chunks: [{at, chunk}], message, errors, status}.
import { DefaultChatTransport, readUIMessageStream } from "ai";

const [api, input] = process.argv.slice(2);
const { messages, body } = JSON.parse(input);
const started = performance.now();
const transport = new DefaultChatTransport({ api, body });
const result = { chunks: [], message: null, errors: [], status: null };
try {
  const stream = await transport.sendMessages({
    chatId: "chat-1",
    messages,
    trigger: "submit-message",
    messageId: undefined,
    abortSignal: undefined,
  });
  // Record each chunk's arrival, then hand it on to the SDK's reader unchanged.
  const timed = stream.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        result.chunks.push({ at: performance.now() - started, chunk });
        controller.enqueue(chunk);
      },
    }),
  );
  for await (const message of readUIMessageStream({
    stream: timed,
    onError: (error) => result.errors.push(String(error.message ?? error)),
  })) {
    result.message = message;
  }
} catch (error) {
  result.status = error.statusCode ?? null;
  result.errors.push(String(error.message ?? error));
}
process.stdout.write(JSON.stringify(result) + "\n");
