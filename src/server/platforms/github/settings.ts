// Where the GitHub REST API is: GITHUB_API_URL when set (a GitHub Enterprise Server's
// `https://HOSTNAME/api/v3`, or a test's emulator), GitHub itself in production, and the local
// cloud's GitHub twin (served under /github) everywhere else. No shared account: no credentials here.
import { platformSettings } from '../settings';

export const GITHUB_API_URL = 'https://api.github.com';

export const githubSettings = platformSettings(({ read, production, localCloud }) => ({
  apiUrl: (read('GITHUB_API_URL') ?? (production ? GITHUB_API_URL : `${localCloud}/github`)).replace(/\/+$/, ''),
}));
