/** The benches' HTTP requests with bare `node:http`, so that no client library is part of a figure. */
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequest {
  port: number;
  method: string;
  path: string;
  body?: string | undefined;
  headers?: Record<string, string | number>;
  /** A keep-alive agent, or `false` for a connection of its own. */
  agent: Agent | false;
}

/** One request to `127.0.0.1:port`; resolves with the status and the body as text once it ended. */
export function httpRequest(options: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method,
        path: options.path,
        agent: options.agent,
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Requests one at a time over one kept-alive connection per port: the checks before a load and the timed
 * requests of the history parts.
 */
export class SerialHttp {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  /** `body` goes with a `content-type` header (`application/json` unless told). */
  request(
    port: number,
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': contentType };
    return httpRequest({ port, method, path, body, headers, agent: this.agent });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
