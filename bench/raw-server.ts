import { createServer, type Server } from 'node:http';

/**
 * The baseline: a bare `node:http` server that reads the whole body, `JSON.parse`s it and answers 200
 * with an empty body (as `POST /api/v1/metrics` does). Anything the real server costs beyond this is the
 * cost of our stack.
 */
export function createRawServer(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-length': 0 });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
  });
}
