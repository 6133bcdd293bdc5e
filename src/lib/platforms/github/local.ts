// This platform's account in the local cloud (src/emulator/github): what a person pastes into Settings
// to try GitHub Pages locally. Nothing here is a secret of any real platform.
export const LOCAL_GITHUB = {
  login: 'huskit-dev',
  userId: 90_000_001,
  name: 'Huskit Dev',
  /** Contents, Pages and Administration: write (creates repositories, enables Pages, pushes). */
  adminToken: 'github_pat_11HUSKITDEV0ADMIN00000_LocalHuskitDevContentsPagesAdministrationWrite0000000000000',
  /** Contents and Pages: write. Pushes and requests builds; cannot create repositories or enable Pages. */
  deployToken: 'github_pat_11HUSKITDEV0DEPLOY0000_LocalHuskitDevContentsPagesWrite000000000000000000000000000',
  /** Contents and Pages: read. */
  readOnlyToken: 'github_pat_11HUSKITDEV0READONLY00_LocalHuskitDevContentsPagesRead0000000000000000000000000000',
  /** Another user's token, with every permission on that user's own repositories. */
  otherLogin: 'local-octo',
  otherToken: 'github_pat_11LOCALOCTO0ADMIN00000_LocalOctoContentsPagesAdministrationWrite000000000000000000',
} as const;

/** The variables that point a production-mode server (`next start`: the browser tests) at the local cloud. */
export const localCloudEnv = (cloudUrl: string): Record<string, string> => ({ GITHUB_API_URL: `${cloudUrl}/github` });
