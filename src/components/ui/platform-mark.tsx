// Small geometric marks drawn for the project, in each platform's colors, with its name beside.
import { PLATFORMS, type DeploymentPlatform } from '@/lib/platforms';

export function PlatformMark({ platform, withName = true, size = 16 }: { platform: DeploymentPlatform; withName?: boolean; size?: number }) {
  const { mark, label } = PLATFORMS[platform];
  return (
    <span className="inline-flex items-center gap-1.5">
      <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
        {mark.map((path) => (
          <path
            key={path.d}
            d={path.d}
            fill={'fill' in path ? path.fill : undefined}
            className={'className' in path ? path.className : undefined}
            fillRule={'evenOdd' in path && path.evenOdd ? 'evenodd' : undefined}
          />
        ))}
      </svg>
      {withName && <span>{label}</span>}
    </span>
  );
}
