import { serverPlatform } from '../adapter';
import { amplifyAdapter } from './adapter';
import { amplifySettings } from './settings';
import { amplifyStaticFiles } from './static-files';

export const amplifyServer = serverPlatform({ adapter: amplifyAdapter, staticFiles: amplifyStaticFiles, settings: amplifySettings });
