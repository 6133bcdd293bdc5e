// How the deploy engine behaves, as one value handed down rather than kept in modules: who may deploy
// how much (policy.ts), how the runner leases and retries a whole deployment (runner.ts), how every
// platform call is retried (platforms/http.ts), and how each platform's adapter polls work on the
// platform (its own folder's defaults, gathered by platforms/registry.ts). The service takes them in
// its options, the runner in its options and hands the adapter its part in the context
// (`ctx.settings`). What cannot be handed any (routes, the runner a creation enqueues, the sweep, the
// cron) reads this process's: `processDeploySettings()`.
import type { DeploymentPlatform } from '@/lib/deployment';
import type { AdapterSettings } from '../platforms/adapter';
import { DEFAULT_RETRY, type RetryPolicy } from '../platforms/http';
import type { Polling } from '../platforms/polling';
import { SERVER_PLATFORMS } from '../platforms/registry';
import { getEnv } from '../env';
import { DEFAULT_LIMITS, type PolicyLimits } from './policy';

export interface RunnerSettings {
  /** How long a runner holds a deployment between heartbeats (DEPLOY_LEASE_MS). */
  leaseMs: number;
  /** Whole-deployment attempts in this process when the platform keeps failing transiently. */
  maxAttempts: number;
  /** The wait before the second attempt, doubled before each one after. */
  retryDelayMs: number;
}

const DEFAULT_RUNNER: Omit<RunnerSettings, 'leaseMs'> = { maxAttempts: 4, retryDelayMs: 2_000 };

export interface DeploySettings {
  limits: PolicyLimits;
  runner: RunnerSettings;
  /** Of every platform call. */
  retries: RetryPolicy;
  polling: Record<DeploymentPlatform, Polling>;
}

/**
 * Changes to the defaults, at any depth. A quota map (`limits.platformQuota`) replaces the whole map:
 * `{}` sets no quota at all, `{ cloudflare: 2 }` a quota on Cloudflare alone.
 */
export interface DeploySettingsOverrides {
  limits?: Partial<PolicyLimits>;
  runner?: Partial<RunnerSettings>;
  retries?: Partial<RetryPolicy>;
  polling?: Partial<Record<DeploymentPlatform, Partial<Polling>>>;
}

/**
 * The defaults (with the environment's quotas, QUOTA_<PLATFORM>, and lease, DEPLOY_LEASE_MS), then
 * each of `overrides` over them in turn. Settings are overrides too: `deploySettings(settings, more)`
 * is `settings` changed by `more`.
 */
export function deploySettings(...overrides: DeploySettingsOverrides[]): DeploySettings {
  const env = getEnv();
  const defaults: DeploySettings = {
    limits: { ...DEFAULT_LIMITS, platformQuota: { ...DEFAULT_LIMITS.platformQuota, ...env.platformQuota } },
    runner: { ...DEFAULT_RUNNER, leaseMs: env.deployLeaseMs },
    retries: DEFAULT_RETRY,
    polling: Object.fromEntries(Object.entries(SERVER_PLATFORMS).map(([id, platform]) => [id, platform.polling])) as DeploySettings['polling'],
  };
  return overrides.reduce<DeploySettings>(
    (settings, o) => ({
      limits: { ...settings.limits, ...o.limits },
      runner: { ...settings.runner, ...o.runner },
      retries: { ...settings.retries, ...o.retries },
      polling: Object.fromEntries(
        Object.entries(settings.polling).map(([id, polling]) => [id, { ...polling, ...o.polling?.[id as DeploymentPlatform] }]),
      ) as DeploySettings['polling'],
    }),
    defaults,
  );
}

/** What the adapter of `platform` is handed in a deployment's context. */
export function adapterSettings(settings: DeploySettings, platform: DeploymentPlatform): AdapterSettings {
  return { polling: settings.polling[platform], retries: settings.retries };
}

let processSettings: DeploySettings | undefined;

/** This process's settings, for what is handed none: deploySettings() unless replaced. */
export function processDeploySettings(): DeploySettings {
  processSettings ??= deploySettings();
  return processSettings;
}

/**
 * Replaces this process's settings; answers the ones replaced. A test file does it through
 * useDeploySettings (src/testing/deploy-settings.ts), which puts them back after its tests; the
 * benchmark's server lifts its limits with it.
 */
export function replaceProcessDeploySettings(settings: DeploySettings): DeploySettings {
  const replaced = processDeploySettings();
  processSettings = settings;
  return replaced;
}
