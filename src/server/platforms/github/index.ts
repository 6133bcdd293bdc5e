import { serverPlatform } from '../adapter';
import { githubAdapter } from './adapter';
import { githubSettings } from './settings';
import { githubStaticFiles } from './static-files';

export const githubServer = serverPlatform({ adapter: githubAdapter, staticFiles: githubStaticFiles, settings: githubSettings });
