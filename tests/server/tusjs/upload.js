'use strict';
/*
 * Uploads one file to a Malyava drop-box with tus-js-client, the library a
 * browser page would use, and prints {"url": ...} when the server has it.
 *
 *   node upload.js ENDPOINT FILE CHUNK_BYTES [POW]
 *
 * It sends a file name in Upload-Metadata on purpose, as ordinary tus
 * clients do: the server must accept the syntax and keep nothing of it.
 * POW, a solved challenge from GET /api/v1/pow, goes on the creation
 * POST as Malyava-Pow, as a page would send it.
 */
const fs = require('fs');
const tus = require('tus-js-client');

const [endpoint, path, chunk, pow] = process.argv.slice(2);
if (!endpoint || !path || !(Number(chunk) > 0)) {
  console.error('usage: node upload.js ENDPOINT FILE CHUNK_BYTES [POW]');
  process.exit(2);
}

const upload = new tus.Upload(fs.createReadStream(path), {
  endpoint,
  chunkSize: Number(chunk),
  retryDelays: [0, 500, 1000],
  metadata: { filename: 'secret-name.jpg', filetype: 'image/jpeg' },
  storeFingerprintForResuming: false,
  onBeforeRequest(req) {
    if (pow && req.getMethod() === 'POST') req.setHeader('Malyava-Pow', pow);
  },
  onError(err) {
    console.error(`tus-js-client: ${err}`);
    process.exit(1);
  },
  onSuccess() {
    console.log(JSON.stringify({ url: upload.url }));
  },
});
upload.start();
