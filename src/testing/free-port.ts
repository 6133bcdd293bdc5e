// Ports for test servers that must be known before they start (a child's environment, the
// configuration read at import).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A free port below the kernel's ephemeral range (where outgoing connections take theirs, so nothing
 * grabs it by chance later), starting from one per test process (its pid spreads concurrent runs
 * apart) and skipping ports a service already holds. Checked by binding, synchronously, in a child:
 * the configuration must know the port before anything reads it.
 */
export function freePortBelowEphemeralRange(): number {
  let low = 32_768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    /* not Linux: the usual default */
  }
  const base = 10_000;
  const span = Math.max(1, low - base - 1);
  const probe = `const net = require('node:net');
    const [start, base, span] = process.argv.slice(1).map(Number);
    const attempt = (i) => {
      const port = base + ((start - base + i) % span);
      const server = net.createServer().once('error', () => attempt(i + 1)).listen(port, '127.0.0.1', () => server.close(() => console.log(port)));
    };
    attempt(0);`;
  return Number(execFileSync(process.execPath, ['-e', probe, String(base + (process.pid % span)), String(base), String(span)], { encoding: 'utf8' }).trim());
}
