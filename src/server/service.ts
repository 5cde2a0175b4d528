/** The two service paths: the health answer and the metrics text, from what the server knows. */
import type http from 'node:http';
import { healthAnswer, type HealthFacts } from './health.js';
import { logError } from '../log.js';
import { renderPrometheus, type Metrics } from '../observe/index.js';
import { SERVER_ERROR, sendCanned } from '../respond/index.js';
import { VERSION } from '../version.js';

const METRICS_HEADERS = ['Content-Type', 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control', 'no-store', 'X-Content-Type-Options', 'nosniff'];

export interface ServiceState {
  metrics: Metrics;
  /** Renders the metrics text; a cluster worker passes one that sums every worker. */
  renderMetrics?: (local: Metrics) => Promise<string>;
  /** Process start, for uptime (ms since the epoch). */
  startedAt: number;
  /** The facts that change: draining, and the index in use. */
  facts: () => Pick<HealthFacts, 'draining' | 'files' | 'staticMounts' | 'mediaMounts' | 'indexBuiltAt' | 'fastLane'>;
}

export interface ServiceAnswers {
  health(req: http.IncomingMessage, res: http.ServerResponse): void;
  metrics(req: http.IncomingMessage, res: http.ServerResponse): void;
}

export function serviceAnswers(s: ServiceState): ServiceAnswers {
  const uptime = () => (Date.now() - s.startedAt) / 1000;
  const render = s.renderMetrics ?? ((m: Metrics) => Promise.resolve(renderPrometheus(m.snapshot(), { workers: 1, workerRestarts: 0, uptimeSeconds: uptime(), version: VERSION })));
  return {
    health(req, res) {
      const a = healthAnswer({ ...s.facts(), version: VERSION, uptimeSeconds: uptime(), pid: process.pid });
      res.writeHead(a.status, a.headers);
      res.end(req.method === 'HEAD' ? undefined : a.body);
    },
    metrics(req, res) {
      render(s.metrics).then(
        (text) => {
          if (res.destroyed) return;
          const body = Buffer.from(text);
          res.writeHead(200, [...METRICS_HEADERS, 'Content-Length', String(body.length)]);
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e: unknown) => {
          logError(`metrics: ${(e as Error).message}`);
          if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
        },
      );
    },
  };
}
