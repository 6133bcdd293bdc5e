// The local Vercel's users, teams, tokens and limits (development defaults from src/lib/local-cloud.ts).
// The quick-deploy account is a team; "your own account" is a personal account with no team, plus a
// team of that user's so that the teamId case can be tried with the same token.
import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';

export interface VercelUser {
  id: string;
  username: string;
  email: string;
  name: string;
}

export interface VercelTeam {
  id: string;
  slug: string;
  name: string;
  memberIds: string[];
}

export interface VercelToken {
  value: string;
  name: string;
  userId: string;
  /** A team-scoped token covers only this team (and not the user's personal scope). */
  teamId?: string;
}

export interface VercelConfig {
  users: VercelUser[];
  teams: VercelTeam[];
  tokens: VercelToken[];
  /** How long a deployment stays QUEUED, then BUILDING, before READY and the alias. */
  stepMs: number;
  /** Deployments an owner may create per 24 hours (Hobby: 100). Generous by default for tests. */
  deploymentsPerDay: number;
  /** Requests per token per minute before 429 (reported in X-RateLimit-* on every answer). */
  requestsPerMinute: number;
  /** Files per deployment ("files should NOT have more than 15000 items"). */
  maxFiles: number;
}

export const LOCAL_VERCEL_USER_TEAM = { id: 'team_localuserteam00000000', slug: 'local-user-team', name: 'Local User Team' } as const;

export function defaultVercelConfig(): VercelConfig {
  return {
    users: [
      { id: 'user_huskitplatform000000000', username: 'huskit-bot', email: 'bot@huskit.local', name: 'Huskit Bot' },
      { id: 'user_localuser0000000000000', username: 'local-user', email: 'user@huskit.local', name: 'Local User' },
    ],
    teams: [
      { id: LOCAL_VERCEL.platformTeamId, slug: LOCAL_VERCEL.platformTeamSlug, name: 'Huskit Local', memberIds: ['user_huskitplatform000000000'] },
      { ...LOCAL_VERCEL_USER_TEAM, memberIds: ['user_localuser0000000000000'] },
    ],
    tokens: [
      { value: LOCAL_VERCEL.platformToken, name: 'platform', userId: 'user_huskitplatform000000000', teamId: LOCAL_VERCEL.platformTeamId },
      { value: LOCAL_VERCEL.userToken, name: 'user', userId: 'user_localuser0000000000000' },
    ],
    stepMs: 1000,
    deploymentsPerDay: 100_000,
    requestsPerMinute: 100_000,
    maxFiles: 15_000,
  };
}
