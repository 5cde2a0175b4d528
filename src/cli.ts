/** The `assetd` command: dispatches to a subcommand; user errors are one line and exit 2. */
import { isUserError, oneLine } from './errors.js';
import { logError } from './log.js';
import { check } from './commands/check.js';
import { collect } from './commands/collect.js';
import { compress } from './commands/compress.js';
import { health } from './commands/health.js';
import { serve } from './commands/serve.js';
import { sign } from './commands/sign.js';

const USAGE = `usage: assetd <command> [options]

commands:
  serve     serve collected static files (see README: flags, ASSETD_* variables, config file)
  collect   copy source folders into one, with content-hashed names, staticfiles.json and .br/.gz
  compress  write .br and .gz next to every compressible file of a folder
  check     validate the config and manifests, and show what would be served
  health    ask the health path of the server the same flags would start: exit 0 for 200 (a container's HEALTHCHECK)
  sign      print a signed link to a private media file: assetd sign /private/report.pdf --ttl 3600
  help      show this text`;

export const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  serve,
  collect,
  compress,
  check,
  health,
  sign,
};

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    logError(`unknown command "${cmd}" (try: assetd help)`);
    process.exitCode = 2;
    return;
  }
  try {
    await run(rest);
  } catch (e) {
    if (isUserError(e)) {
      logError(oneLine(e));
      process.exit(2);
    }
    logError(`internal error: ${oneLine(e)}`);
    if (process.env.ASSETD_DEBUG) console.error(e);
    process.exit(1);
  }
}
