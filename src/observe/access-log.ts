/**
 * Access log lines: nginx's `combined` format or one JSON object per line. The formatting
 * is pure; `LogBuffer` is the small I/O edge that batches lines into few writes to stdout.
 */
import type { AccessLogFormat } from '../config/index.js';

/** What one finished (or aborted) response leaves behind. */
export interface RequestFacts {
  /** End of the response, ms since the epoch. */
  time: number;
  remote: string;
  method: string;
  /** The request target as received (path and query). */
  target: string;
  httpVersion: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** Content-Encoding of the body sent ('identity' when none). */
  encoding: string;
  durationMs: number;
  /** Time the upstream took to answer, when the request went to one. */
  upstreamMs: number | undefined;
  referer: string | undefined;
  userAgent: string | undefined;
  /** Route kind: static, media, proxy, service or other. */
  kind: string;
  /** The client went away before the response was complete. */
  aborted: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

let cachedSecond = -1;
let cachedLocal = '';

/** nginx's $time_local, in UTC: `22/Nov/2026:00:20:19 +0000` (computed once per second). */
export function timeLocal(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(sec * 1000);
    cachedLocal = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
    cachedSecond = sec;
  }
  return cachedLocal;
}

/** Escape a value for a quoted field the way nginx does: `"`, `\` and non-printable bytes as \xHH. */
export function escapeField(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      // header values reach us latin1-decoded, so every code unit is one byte (0..255)
      out += '\\x' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0');
    } else {
      out += s[i];
    }
  }
  return out;
}

/** `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"` */
export function formatCombined(f: RequestFacts): string {
  return (
    `${f.remote || '-'} - - [${timeLocal(f.time)}] "${escapeField(f.method)} ${escapeField(f.target)} HTTP/${f.httpVersion}" ` +
    `${f.status} ${f.bytes} "${f.referer === undefined ? '-' : escapeField(f.referer)}" "${f.userAgent === undefined ? '-' : escapeField(f.userAgent)}"`
  );
}

const q = JSON.stringify;

function ms3(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** One JSON object: time, method, path, status, bytes, encoding, duration and upstream time (ms), and context. */
export function formatJson(f: RequestFacts): string {
  // written by hand (strings through JSON.stringify): a generic object would cost more per line
  return (
    `{"time":"${new Date(f.time).toISOString()}","remote":${q(f.remote)},"method":${q(f.method)},"path":${q(f.target)},` +
    `"status":${f.status},"bytes":${f.bytes},"encoding":${q(f.encoding)},"duration":${ms3(f.durationMs)},` +
    `"upstream":${f.upstreamMs === undefined ? 'null' : ms3(f.upstreamMs)},"kind":${q(f.kind)},` +
    `"referer":${f.referer === undefined ? 'null' : q(f.referer)},"userAgent":${f.userAgent === undefined ? 'null' : q(f.userAgent)}` +
    `${f.aborted ? ',"aborted":true' : ''}}`
  );
}

export function formatterFor(format: AccessLogFormat): ((f: RequestFacts) => string) | undefined {
  return format === 'combined' ? formatCombined : format === 'json' ? formatJson : undefined;
}

/**
 * Lines gathered and written once per event-loop turn (or when 64 KiB are pending), so
 * logging costs a string append per request rather than a write. Each write holds whole
 * lines and at most `maxWrite` bytes (PIPE_BUF) when it can, so the writes of several
 * workers sharing one pipe never interleave inside a line.
 */
export class LogBuffer {
  private pending = '';
  private scheduled = false;
  constructor(
    private readonly write: (chunk: string) => void,
    private readonly maxWrite = 4096,
  ) {}

  add(line: string): void {
    this.pending += line + '\n';
    if (this.pending.length >= 64 * 1024) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  flush(): void {
    let rest = this.pending;
    this.pending = '';
    while (rest.length > 0) {
      let cut = rest.length;
      if (cut > this.maxWrite) {
        // the last line end within the limit; a single longer line goes out alone
        const nl = rest.lastIndexOf('\n', this.maxWrite - 1);
        cut = nl >= 0 ? nl + 1 : rest.indexOf('\n') + 1;
      }
      this.write(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
  }
}
