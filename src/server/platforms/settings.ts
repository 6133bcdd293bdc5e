// A platform's own slice of the configuration, parsed in its folder (settings.ts) from the same
// environment as the rest. Outside production the shared account defaults to the local cloud's; in
// production a missing credential leaves quick deploy off rather than pointed at a fake.
import { fail, getEnv, parseEnv } from '../env';

export interface PlatformEnv {
  production: boolean;
  /** The local cloud's origin, e.g. http://127.0.0.1:8787. */
  localCloud: string;
  cloudPort: number;
  /** A variable, trimmed; undefined when unset or blank. */
  read(name: string): string | undefined;
  /** `value` outside production, undefined in production. */
  dev<T>(value: T): T | undefined;
  /** Stops with a message naming the variable, what is wrong and how to fix it. */
  fail(name: string, problem: string, fix: string): never;
}

export interface PlatformSettings<T> {
  /** This process's settings, parsed once. */
  (): T;
  /** The settings of another environment (tests, checks). */
  parse(source: Record<string, string | undefined>): T;
}

export function platformSettings<T>(parse: (env: PlatformEnv) => T): PlatformSettings<T> {
  const from = (source: Record<string, string | undefined>, core: { isProduction: boolean; cloudPort: number }): T =>
    parse({
      production: core.isProduction,
      cloudPort: core.cloudPort,
      localCloud: `http://127.0.0.1:${core.cloudPort}`,
      read: (name) => source[name]?.trim() || undefined,
      dev: (value) => (core.isProduction ? undefined : value),
      fail,
    });
  let cached: { value: T } | undefined;
  const settings = () => (cached ??= { value: from(process.env, getEnv()) }).value;
  settings.parse = (source: Record<string, string | undefined>) => from(source, parseEnv(source));
  return settings;
}
