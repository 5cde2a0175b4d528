/** The `assetd` command: dispatches to a subcommand; user errors are one line and exit 2. */
import { isUserError, oneLine } from './errors.js';
import { logError } from './log.js';

const USAGE = `usage: assetd <command> [options]

commands:
  serve     serve collected static files (see README: flags, ASSETD_* variables, config file)
  collect   copy source folders into one, with content-hashed names, staticfiles.json and .br/.gz
  compress  write .br and .gz next to every compressible file of a folder
  check     validate the config and manifests, and show what would be served
  health    ask the health path of the server the same flags would start: exit 0 for 200 (a container's HEALTHCHECK)
  sign      print a signed link to a private media file: assetd sign /private/report.pdf --ttl 3600
  help      show this text`;

type Command = (argv: string[]) => Promise<void>;

/**
 * Each command's module, loaded when that command runs: `assetd health`, run every few
 * seconds by a container's HEALTHCHECK, loads the config and an HTTP client, not the server.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serve,
  collect: async () => (await import('./commands/collect.js')).collect,
  compress: async () => (await import('./commands/compress.js')).compress,
  check: async () => (await import('./commands/check.js')).check,
  health: async () => (await import('./commands/health.js')).health,
  sign: async () => (await import('./commands/sign.js')).sign,
};

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) {
    logError(`unknown command "${cmd}" (try: assetd help)`);
    process.exitCode = 2;
    return;
  }
  try {
    const run = await load();
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
