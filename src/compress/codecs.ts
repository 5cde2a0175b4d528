/**
 * The two codings written next to a file, with the settings WhiteNoise uses. The async
 * zlib calls run on libuv's thread pool, so several files compress at once off the main
 * thread with no worker threads of our own.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export interface Codec {
  suffix: '.br' | '.gz';
  encode(data: Buffer): Promise<Buffer>;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

export const BROTLI: Codec = {
  suffix: '.br',
  encode: (data) =>
    brotli(data, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
};

/** gzip level 9; Node writes a zero mtime in the header, so the output is deterministic. */
export const GZIP: Codec = {
  suffix: '.gz',
  encode: (data) => gzip(data, { level: 9 }),
};

export const CODECS: readonly Codec[] = [BROTLI, GZIP];
