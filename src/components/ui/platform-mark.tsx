// Small geometric marks drawn for the project, in each platform's colors, with its name beside.
import type { DeploymentPlatform } from '@/lib/deployment';

export const PLATFORM_LABELS: Record<DeploymentPlatform, string> = {
  cloudflare: 'Cloudflare',
  amplify: 'AWS Amplify',
  netlify: 'Netlify',
  vercel: 'Vercel',
};

export function PlatformMark({ platform, withName = true, size = 16 }: { platform: DeploymentPlatform; withName?: boolean; size?: number }) {
  return (
    <span className="inline-flex items-center gap-1.5">
      <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
        {platform === 'cloudflare' && (
          <>
            <ellipse cx="9" cy="10" rx="6" ry="3.5" fill="#f38020" />
            <circle cx="7" cy="8" r="3.5" fill="#faad3f" />
          </>
        )}
        {platform === 'amplify' && <path d="M2 14 L8 2 L14 14 Z M6 14 L8 10 L10 14 Z" fill="#ff9900" fillRule="evenodd" />}
        {platform === 'netlify' && <path d="M8 1 L15 8 L8 15 L1 8 Z" fill="#05bdba" />}
        {platform === 'vercel' && <path d="M8 2 L15 14 L1 14 Z" className="fill-neutral-900 dark:fill-neutral-100" />}
      </svg>
      {withName && <span>{PLATFORM_LABELS[platform]}</span>}
    </span>
  );
}
