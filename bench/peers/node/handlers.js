// The scenarios on the Node.js runtime interface client (npm aws-lambda-ric, run unmodified).
// Equivalent to ../ours/buffered.py and ../ours/streaming.py: same events, same bytes.
// Timestamps are process.hrtime.bigint(): CLOCK_MONOTONIC, like Python's time.monotonic_ns().
"use strict";
const { once } = require("node:events");
const { setTimeout: sleep } = require("node:timers/promises");

const TRIVIAL = Buffer.from('{"ok":true}');
const TEXT = Buffer.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

exports.buffered = async () => ({ ok: true });

exports.streaming = awslambda.streamifyResponse(async (event, responseStream) => {
  const op = event.op;
  if (op === "trivial") {
    responseStream.write(TRIVIAL);
  } else if (op === "ticks") {
    for (let i = 0; i < event.n; i++) {
      if (i) await sleep(event.sleep_ms);
      const line = `{"i":${i},"t":"${process.hrtime.bigint()}"}`;
      responseStream.write(line.padEnd(event.size - 1) + "\n");
    }
  } else if (op === "tokens") {
    const pieces = event.sizes.map((size) => TEXT.subarray(0, size));
    for (let i = 0; i < event.n; i++) responseStream.write(pieces[i % pieces.length]);
  } else if (op === "big") {
    const block = Buffer.alloc(event.size, "x");
    for (let i = 0; i < event.n; i++) {
      // Respect backpressure, as a well-behaved Node stream writer does.
      if (!responseStream.write(block)) await once(responseStream, "drain");
    }
  }
  responseStream.end();
});
