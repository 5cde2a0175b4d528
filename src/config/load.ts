/**
 * Loading the configuration layers: the flags of the command line, the ASSETD_* variables
 * and the JSON file named by --config or ASSETD_CONFIG (the I/O), handed to resolve.ts to
 * be merged and validated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { resolveConfig } from './resolve.js';
import { envName, SERVE_FLAGS } from './schema.js';
import type { Config } from './types.js';

export type FlagValues = Record<string, string | boolean | undefined>;

/** Parse `serve`-style flags (the SERVE_FLAGS table plus --config); unknown flags are a UserError naming `command`. */
export function parseServeFlags(argv: string[], command = 'serve'): FlagValues {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const [flag, spec] of Object.entries(SERVE_FLAGS)) options[flag] = { type: spec.type };
  try {
    const { values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true });
    return values as FlagValues;
  } catch (e) {
    throw new UserError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Read the config file named by --config or ASSETD_CONFIG, and merge every layer. */
export function loadConfig(flags: FlagValues, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const configFile = (flags.config as string | undefined) ?? env[envName('config')];
  let file: unknown;
  let fileDir: string | undefined;
  if (configFile) {
    const abs = path.resolve(cwd, configFile);
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      throw new UserError(`${configFile}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${configFile}: config file is not valid JSON (${(e as Error).message})`);
    }
    fileDir = path.dirname(abs);
  }
  return resolveConfig({ file, fileName: configFile, fileDir, env, flags, cwd, readSecretFile: (f) => fs.readFileSync(f, 'utf8') });
}

