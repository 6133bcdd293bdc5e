// The process's deploy settings for a test file: the one way a test sets what its tests cannot hand
// settings to — routes (app-client.ts, trpc-http.ts, route handlers called directly), the runner a
// creation through them enqueues, a re-drive of the status loop. What a test drives itself takes its
// settings as an argument instead: deployFiles and createDeployment (deploy.ts), driveDeployment,
// runCleanup, memoryDeployContext (deploy-context.ts).
import { afterAll, afterEach, beforeAll } from 'vitest';
import { deploySettings, replaceProcessDeploySettings, type DeploySettings, type DeploySettingsOverrides } from '@/server/deploy/settings';

export interface TestFileDeploySettings {
  /** deploySettings(...overrides): the process's from beforeAll to afterAll, to hand to what the tests drive themselves too. */
  settings: DeploySettings;
  /** Other settings for the rest of the current test (the file's overrides, then `more`); the file's are back after it. */
  forThisTest(...more: DeploySettingsOverrides[]): DeploySettings;
}

/**
 * Makes deploySettings(...overrides) this process's settings for the tests of this file (of the
 * describe it is called in): set in beforeAll, the earlier ones put back in afterAll.
 */
export function useDeploySettings(...overrides: DeploySettingsOverrides[]): TestFileDeploySettings {
  const settings = deploySettings(...overrides);
  let before: DeploySettings | undefined;
  let changedInTest = false;
  beforeAll(() => {
    before = replaceProcessDeploySettings(settings);
  });
  afterEach(() => {
    if (!changedInTest) return;
    changedInTest = false;
    replaceProcessDeploySettings(settings);
  });
  afterAll(() => {
    if (before) replaceProcessDeploySettings(before);
  });
  return {
    settings,
    forThisTest(...more) {
      const changed = deploySettings(...overrides, ...more);
      changedInTest = true;
      replaceProcessDeploySettings(changed);
      return changed;
    },
  };
}
