import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from './env';
import { amplifySettings } from './platforms/amplify/settings';
import { cloudflareSettings } from './platforms/cloudflare/settings';
import { netlifySettings } from './platforms/netlify/settings';
import { vercelSettings } from './platforms/vercel/settings';

const strongProduction = {
  NODE_ENV: 'production',
  SESSION_SECRET: 'x'.repeat(40),
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  CRON_SECRET: 'c'.repeat(24),
};

describe('configuration', () => {
  it('gives every variable a safe local default in development', () => {
    const env = parseEnv({ NODE_ENV: 'development' });
    expect(env.databaseUrl).toBeUndefined();
    expect(env.pgliteDataDir).toBe('.data/pglite');
    expect(Object.values(env.sessionPasswords)[0]!.length).toBeGreaterThanOrEqual(32);
    expect(env.encryptionKeys[0]!.key).toHaveLength(32);
    const dev = { NODE_ENV: 'development' };
    expect(cloudflareSettings.parse(dev).apiBaseUrl).toBe('http://127.0.0.1:8787/client/v4');
    expect(amplifySettings.parse(dev).endpoint).toBe('http://127.0.0.1:8787');
    expect(cloudflareSettings.parse(dev).accountId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stops a production start without SESSION_SECRET, naming the variable', () => {
    const { SESSION_SECRET: _, ...rest } = strongProduction;
    expect(() => parseEnv(rest)).toThrow(ConfigError);
    expect(() => parseEnv(rest)).toThrow(/SESSION_SECRET is missing.*at least 32 characters/);
  });

  it.each([
    ['SESSION_SECRET', { SESSION_SECRET: 'short-secret' }, /SESSION_SECRET is too short/],
    ['SESSION_SECRET', { SESSION_SECRET: 'dev-only-session-secret-change-me-in-production-0000' }, /SESSION_SECRET is the development default/],
    ['ENCRYPTION_KEYS', { ENCRYPTION_KEYS: undefined }, /ENCRYPTION_KEYS is missing/],
    ['ENCRYPTION_KEYS', { ENCRYPTION_KEYS: 'k1:c2hvcnQ=' }, /ENCRYPTION_KEYS has key "k1" that is not 32 bytes/],
    ['ENCRYPTION_KEYS', { ENCRYPTION_KEYS: 'not a key list' }, /ENCRYPTION_KEYS is malformed/],
    ['CRON_SECRET', { CRON_SECRET: undefined }, /CRON_SECRET is missing/],
    ['NODE_ENV', { NODE_ENV: 'staging' }, /NODE_ENV is invalid/],
  ])('refuses a weak or malformed %s in production', (_name, override, message) => {
    expect(() => parseEnv({ ...strongProduction, ...override })).toThrow(message);
  });

  // The development defaults, as src/server/env.ts has them: production refuses them by their bytes.
  const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-in-production-0000';
  const DEV_KEY_BASE64 = 'aHVza2l0LWRldi1vbmx5LWVuY3J5cHRpb24ta2V5ISE=';
  const otherKey = `k1:${Buffer.alloc(32, 3).toString('base64')}`;
  it.each([
    ['the dev session secret alone', { SESSION_SECRET: DEV_SESSION_SECRET }, /SESSION_SECRET is the development default/],
    ['the dev session secret re-prefixed as id 7', { SESSION_SECRET: `7:${DEV_SESSION_SECRET}` }, /SESSION_SECRET is the development default \(as id 7\)/],
    [
      'the dev session secret as the old id of a rotation list',
      { SESSION_SECRET: `2:${'n'.repeat(40)},1:${DEV_SESSION_SECRET}` },
      /SESSION_SECRET is the development default \(as id 1\)/,
    ],
    ['the dev encryption key under its own id', { ENCRYPTION_KEYS: `dev1:${DEV_KEY_BASE64}` }, /ENCRYPTION_KEYS holds the development key \(as "dev1"\)/],
    ['the dev encryption key re-prefixed as k9', { ENCRYPTION_KEYS: `k9:${DEV_KEY_BASE64}` }, /ENCRYPTION_KEYS holds the development key \(as "k9"\)/],
    [
      'the dev encryption key in base64url without padding, behind another key',
      { ENCRYPTION_KEYS: `${otherKey},old:${DEV_KEY_BASE64.replace(/=+$/, '')}` },
      /ENCRYPTION_KEYS holds the development key \(as "old"\)/,
    ],
    ['the dev cron secret', { CRON_SECRET: 'dev-only-cron-secret' }, /CRON_SECRET is the development default/],
  ])('refuses %s in production, naming the variable', (_case, override, message) => {
    expect(() => parseEnv({ ...strongProduction, ...override })).toThrow(ConfigError);
    expect(() => parseEnv({ ...strongProduction, ...override })).toThrow(message);
    // Outside production the same values are the working defaults.
    expect(() => parseEnv({ ...strongProduction, ...override, NODE_ENV: 'development' })).not.toThrow();
  });

  it('accepts a strong production configuration and offers no local-cloud credentials there', () => {
    const env = parseEnv(strongProduction);
    expect(env.isProduction).toBe(true);
    expect(cloudflareSettings.parse(strongProduction).apiBaseUrl).toBe('https://api.cloudflare.com/client/v4');
    expect(cloudflareSettings.parse(strongProduction).apiToken).toBeUndefined();
    expect(amplifySettings.parse(strongProduction).accessKeyId).toBeUndefined();
  });

  it('stops on a platform setting that cannot work, naming the variable', () => {
    expect(() => cloudflareSettings.parse({ CLOUDFLARE_COMPATIBILITY_DATE: 'next tuesday' })).toThrow(/CLOUDFLARE_COMPATIBILITY_DATE is not a date/);
    expect(() => amplifySettings.parse({ AMPLIFY_REGION: 'mars-1' })).toThrow(/AMPLIFY_REGION is not an AWS region/);
  });

  it('reads a session password map for rotation and a key ring whose first key seals', () => {
    const env = parseEnv({
      NODE_ENV: 'development',
      SESSION_SECRET: `2:${'n'.repeat(32)},1:${'o'.repeat(32)}`,
      ENCRYPTION_KEYS: `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`,
    });
    expect(env.sessionPasswords).toEqual({ 2: 'n'.repeat(32), 1: 'o'.repeat(32) });
    expect(env.encryptionKeys.map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('sizes the worker thread pool by WORKER_THREADS (one per core by default, 0 on one core), refusing a wrong count', () => {
    const cores = os.availableParallelism();
    expect(parseEnv({ NODE_ENV: 'development' }).workerThreads).toBe(cores >= 2 ? Math.min(4, cores) : 0);
    expect(parseEnv({ NODE_ENV: 'development', WORKER_THREADS: '0' }).workerThreads).toBe(0);
    expect(parseEnv({ NODE_ENV: 'development', WORKER_THREADS: '3' }).workerThreads).toBe(3);
    for (const wrong of ['two', '-1', '1.5', '65'])
      expect(() => parseEnv({ NODE_ENV: 'development', WORKER_THREADS: wrong })).toThrow(/WORKER_THREADS is not a whole number from 0 to 64/);
    // Its former name is refused with the new one, not ignored; left empty (as .env.example had it), it is nothing.
    expect(() => parseEnv({ NODE_ENV: 'development', SCAN_WORKERS: '1' })).toThrow('SCAN_WORKERS was renamed. Name it WORKER_THREADS');
    expect(parseEnv({ NODE_ENV: 'development', SCAN_WORKERS: '' }).workerThreads).toBe(cores >= 2 ? Math.min(4, cores) : 0);
  });

  it('points Netlify and Vercel at the local cloud in development, and reads per-platform quotas', () => {
    const env = parseEnv({ NODE_ENV: 'development', QUOTA_NETLIFY: '12', QUOTA_VERCEL: '0' });
    expect(netlifySettings.parse({ NODE_ENV: 'development' }).apiUrl).toBe('http://127.0.0.1:8787/api/v1');
    expect(vercelSettings.parse({ NODE_ENV: 'development' }).apiUrl).toBe('http://127.0.0.1:8787/vercel');
    expect(netlifySettings.parse({ NODE_ENV: 'development' }).authToken).toBeTruthy();
    expect(env.platformQuota).toEqual({ netlify: 12, vercel: 0 });
    expect(() => parseEnv({ NODE_ENV: 'development', QUOTA_AMPLIFY: 'lots' })).toThrow(/QUOTA_AMPLIFY is not a whole number/);
    // Production: quick deploy stays off until the operator gives credentials.
    const [netlify, vercel] = [netlifySettings.parse(strongProduction), vercelSettings.parse(strongProduction)];
    expect([netlify.authToken, vercel.token, netlify.apiUrl, vercel.apiUrl]).toEqual([
      undefined,
      undefined,
      'https://api.netlify.com/api/v1',
      'https://api.vercel.com',
    ]);
  });
});
