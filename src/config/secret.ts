/** A signing key read from the config: it never prints itself (logs, JSON, util.inspect show "[secret]"). */
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';

/** A signing key that never prints itself (logs, JSON, util.inspect show "[secret]"). */
export class Secret {
  readonly #key: Buffer;
  constructor(value: string | Buffer) {
    this.#key = Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(value, 'utf8');
  }
  get length(): number {
    return this.#key.length;
  }
  hmac(message: string): Buffer {
    return createHmac('sha256', this.#key).update(message, 'utf8').digest();
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}
