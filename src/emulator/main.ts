// `npm run cloud`: the local cloud on its own, on 127.0.0.1:${CLOUD_PORT:-8787}. State is kept under
// .data/cloud so deployed sites survive a restart (CLOUD_PERSIST=0 keeps it in memory only).
import { LOCAL_CLOUD_PORT } from '@/lib/local-cloud';
import { defaultCloudConfig } from './config';
import { startCloud } from './server';
import { TWINS } from './twins';

const port = Number(process.env.CLOUD_PORT ?? LOCAL_CLOUD_PORT);
const persistDir = process.env.CLOUD_PERSIST === '0' ? undefined : (process.env.CLOUD_DATA_DIR ?? '.data/cloud');
const cloud = await startCloud(defaultCloudConfig({ port, persistDir }));
console.log(`Local cloud on ${cloud.url}`);
for (const twin of Object.values(TWINS)) console.log(`  ${twin.banner(cloud)}`);
console.log(`  State           ${persistDir ?? 'in memory'}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void cloud.close().then(() => process.exit(0));
  });
}
