// Where a deployment goes: the person's own platform account (when connected) or a quick deploy on the
// shared account (when the platform offers one), with what is left of the quick-deploy allowance.
import Link from 'next/link';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';

export function DeployModeChoice(props: {
  platform: DeploymentPlatform;
  mode: AuthMode;
  onChange: (mode: AuthMode) => void;
  connected: boolean;
  quickOffered: boolean;
  /** The quick deploys left; undefined while it is being read. */
  allowance: { hourLeft: number; dayLeft: number } | undefined;
}) {
  const { platform, mode, onChange: setMode, connected, quickOffered, allowance } = props;
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-sm font-medium">How?</legend>
      <label
        className={`flex gap-3 rounded-lg border p-3 ${mode === 'user-token' ? 'border-accent' : 'border-neutral-200 dark:border-neutral-700'} ${connected ? '' : 'opacity-70'}`}
      >
        <input type="radio" name="mode" checked={mode === 'user-token'} disabled={!connected} onChange={() => setMode('user-token')} />
        <span>
          <span className="block font-medium">Deploy to your {platformInfo(platform).label} account</span>
          <span className="block text-sm text-neutral-500">
            {connected ? (
              'Your own account: the site stays as long as you keep it.'
            ) : (
              <>
                No account connected.{' '}
                <Link href={`/settings?platform=${platform}`} className="text-accent underline">
                  Connect one in Settings
                </Link>
                .
              </>
            )}
          </span>
        </span>
      </label>
      <label
        className={`flex gap-3 rounded-lg border p-3 ${mode === 'platform-managed' ? 'border-accent' : 'border-neutral-200 dark:border-neutral-700'} ${quickOffered ? '' : 'opacity-70'}`}
      >
        <input type="radio" name="mode" checked={mode === 'platform-managed'} disabled={!quickOffered} onChange={() => setMode('platform-managed')} />
        <span>
          <span className="block font-medium">Quick deploy — instant URL, 30 days</span>
          <span className="block text-sm text-neutral-500" data-testid="allowance">
            {!quickOffered
              ? `Not offered for ${platformInfo(platform).label}: sites go to your own account.`
              : allowance
                ? `${allowance.hourLeft} left this hour, ${allowance.dayLeft} today`
                : 'Checking your allowance…'}
          </span>
        </span>
      </label>
    </fieldset>
  );
}
