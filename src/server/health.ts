/** The health check answer: pure, from what the server knows about itself. */

export interface HealthFacts {
  draining: boolean;
  files: number;
  /** Static mounts (internal ones included). */
  staticMounts: number;
  mediaMounts: number;
  version: string;
  uptimeSeconds: number;
  /** When the index in use was built (ms since the epoch). */
  indexBuiltAt: number;
  /** The process that answered (a worker, with several). */
  pid: number;
  /** Static answers from memory go through the fast lane (false: all through node:http). */
  fastLane: boolean;
}

export interface HealthAnswer {
  status: 200 | 503;
  headers: string[];
  body: Buffer;
}

/** 200 with a small JSON once the index is loaded; 503 while draining, so balancers stop sending. */
export function healthAnswer(f: HealthFacts): HealthAnswer {
  const body = Buffer.from(
    JSON.stringify({
      status: f.draining ? 'draining' : 'ok',
      files: f.files,
      mounts: f.staticMounts + f.mediaMounts,
      staticMounts: f.staticMounts,
      mediaMounts: f.mediaMounts,
      version: f.version,
      uptime: Math.floor(f.uptimeSeconds),
      indexBuiltAt: new Date(f.indexBuiltAt).toISOString(),
      pid: f.pid,
      fastLane: f.fastLane,
    }) + '\n',
  );
  return {
    status: f.draining ? 503 : 200,
    headers: ['Content-Type', 'application/json', 'Content-Length', String(body.length), 'Cache-Control', 'no-store', 'X-Content-Type-Options', 'nosniff'],
    body,
  };
}
