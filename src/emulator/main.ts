// `npm run cloud`: the local cloud on its own, on 127.0.0.1:${CLOUD_PORT:-8787}. State is kept under
// .data/cloud so deployed sites survive a restart (CLOUD_PERSIST=0 keeps it in memory only).
import { LOCAL_CLOUD_PORT } from '@/lib/local-cloud';
import { defaultCloudConfig } from './config';
import { startCloud } from './server';

const port = Number(process.env.CLOUD_PORT ?? LOCAL_CLOUD_PORT);
const persistDir = process.env.CLOUD_PERSIST === '0' ? undefined : (process.env.CLOUD_DATA_DIR ?? '.data/cloud');
const cloud = await startCloud(defaultCloudConfig({ port, persistDir }));
const cf = cloud.config.cloudflare.accounts[0]!;
const app = cloud.config.aws.apps[0]!;
console.log(`Local cloud on ${cloud.url}`);
console.log(`  Cloudflare API  ${cloud.url}/client/v4   sites: http://{script}.${cf.subdomain}.workers.localhost:${cloud.port}/`);
console.log(`  Amplify API     ${cloud.url}   (region ${cloud.config.aws.region})   sites: http://{branch}.${app.appId}.amplifyapp.localhost:${cloud.port}/`);
console.log(`  Netlify API     ${cloud.url}/api/v1   sites: http://{site}.netlify.localhost:${cloud.port}/`);
console.log(`  Vercel API      ${cloud.url}/vercel   sites: http://{project}.vercel.localhost:${cloud.port}/`);
console.log(`  State           ${persistDir ?? 'in memory'}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void cloud.close().then(() => process.exit(0));
  });
}
