/** The two codings written next to a file, with the settings WhiteNoise uses. */
import zlib from 'node:zlib';

export interface Codec {
  suffix: '.br' | '.gz';
  encode(data: Buffer): Buffer;
}

export const BROTLI: Codec = {
  suffix: '.br',
  encode: (data) =>
    zlib.brotliCompressSync(data, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
};

/** gzip level 9; Node writes a zero mtime in the header, so the output is deterministic. */
export const GZIP: Codec = {
  suffix: '.gz',
  encode: (data) => zlib.gzipSync(data, { level: 9 }),
};

export const CODECS: readonly Codec[] = [BROTLI, GZIP];
