/** Run the CLI as an unprivileged user when this process is root (a mode-000 file is readable by root). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { cliPath } from './run.js';

export function unprivileged(): { wrapper: string[] } | { skip: string } {
  if (process.getuid?.() !== 0) return { wrapper: [] };
  const wrapper = ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  if (!fs.existsSync(wrapper[0])) return { skip: 'running as root without setpriv(1): cannot make EACCES happen' };
  const probe = spawnSync(wrapper[0], [...wrapper.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(cliPath)}, 4)`], { timeout: 10_000 });
  if (probe.status !== 0) return { skip: `the checkout is not readable by uid 65534, so the server cannot run as that user` };
  return { wrapper };
}
