/** Error and startup lines go to stderr, one line each. */
let quiet = false;

export function setQuiet(q: boolean): void {
  quiet = q;
}

export function logError(msg: string): void {
  process.stderr.write(`assetd: ${msg.replace(/[\r\n]+/g, ' ')}\n`);
}

export function logInfo(msg: string): void {
  if (!quiet) process.stderr.write(`assetd: ${msg}\n`);
}
