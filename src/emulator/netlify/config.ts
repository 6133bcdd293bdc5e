// The local Netlify's accounts, tokens and limits (development defaults from src/lib/local-cloud.ts).
import { LOCAL_NETLIFY } from '@/lib/local-cloud';

export interface NetlifyConfig {
  tokens: { value: string; name: string }[];
}

export function defaultNetlifyConfig(): NetlifyConfig {
  return {
    tokens: [
      { value: LOCAL_NETLIFY.platformToken, name: 'platform' },
      { value: LOCAL_NETLIFY.userToken, name: 'user' },
    ],
  };
}
