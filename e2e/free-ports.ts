// Ports the system hands out (bound to port 0, all at once so they differ, then let go), for servers
// that must be told their port before they start. Synchronous, so that a config file can use it.
import { execFileSync } from 'node:child_process';

const SCRIPT = `
const net = require('node:net');
const count = Number(process.argv[1]);
const servers = Array.from({ length: count }, () => net.createServer());
let listening = 0;
for (const server of servers)
  server.listen(0, '127.0.0.1', () => {
    if (++listening < count) return;
    console.log(servers.map((s) => s.address().port).join(' '));
    for (const s of servers) s.close();
  });
`;

export function freePortsSync(count: number): number[] {
  return execFileSync(process.execPath, ['-e', SCRIPT, String(count)], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number);
}
