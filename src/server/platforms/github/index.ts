import { serverPlatform } from '../adapter';
import { githubAdapter } from './adapter';
import { GITHUB_BUILD_POLLING } from './publish';
import { githubSettings } from './settings';
import { githubStaticFiles } from './static-files';

export const githubServer = serverPlatform({ adapter: githubAdapter, staticFiles: githubStaticFiles, settings: githubSettings, polling: GITHUB_BUILD_POLLING });
