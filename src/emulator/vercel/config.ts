// The local Vercel's accounts, tokens and limits (development defaults from src/lib/local-cloud.ts).
import { LOCAL_VERCEL } from '@/lib/local-cloud';

export interface VercelConfig {
  tokens: { value: string; name: string }[];
}

export function defaultVercelConfig(): VercelConfig {
  return {
    tokens: [
      { value: LOCAL_VERCEL.platformToken, name: 'platform' },
      { value: LOCAL_VERCEL.userToken, name: 'user' },
    ],
  };
}
