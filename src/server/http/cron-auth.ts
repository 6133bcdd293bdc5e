// The host's cron sends `Authorization: Bearer ${CRON_SECRET}` (hosting.ts); compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import { getEnv } from '../env';

export function cronAuthorized(header: string | null): boolean {
  const expected = Buffer.from(`Bearer ${getEnv().cronSecret}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
