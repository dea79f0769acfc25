// The LMI bench's handler on the Node.js runtime interface client: stream a fake model's
// tokens as they arrive (the same work as ours_lmi.py).
"use strict";
const http = require("node:http");

const MODEL = new URL(process.env.BENCH_MODEL_URL);

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType("text/plain");
  await new Promise((resolve, reject) => {
    http
      .get({ host: MODEL.hostname, port: MODEL.port, path: `/?tokens=${event.tokens}` }, (res) => {
        res.on("data", (chunk) => responseStream.write(chunk));
        res.on("end", resolve);
        res.on("error", reject);
      })
      .on("error", reject);
  });
  responseStream.end();
});
