/**
 * Child programs that fork their own children (gunicorn's workers, Chromium's zygote and
 * renderers): started in their own process group, and the whole group killed in
 * `t.teardown` — and, should the test process exit before its teardowns finish, on exit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

type Tap = { teardown(fn: () => unknown): void };

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) killGroup(proc);
});

function killGroup(proc: ChildProcess): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** Spawn `command` as a process group; `afterExit` (e.g. removing its working files) runs once it is dead. */
export function spawnGroup(t: Tap, command: string, args: string[], opts: SpawnOptions, afterExit?: () => void): ChildProcess {
  const proc = spawn(command, args, { ...opts, detached: true });
  const exited = new Promise<void>((r) => {
    proc.once('exit', () => r());
    proc.once('error', () => r());
  });
  live.add(proc);
  t.teardown(async () => {
    killGroup(proc);
    await exited;
    live.delete(proc);
    afterExit?.();
  });
  return proc;
}

/**
 * The first match of `re` in what `proc` writes to the given streams (its group 1), e.g. the
 * address a browser prints once it listens; rejects when the program exits first or `ms` pass.
 */
export function waitForOutput(proc: ChildProcess, re: RegExp, what: string, ms: number, output: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms: ${output()}`)), ms);
    const look = () => {
      const m = re.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', look);
    proc.stderr?.on('data', look);
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? sig}) before listening: ${output()}`));
    });
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
