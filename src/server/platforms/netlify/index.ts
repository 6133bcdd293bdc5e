import { serverPlatform } from '../adapter';
import { netlifyAdapter } from './adapter';
import { netlifySettings } from './settings';
import { netlifyStaticFiles } from './static-files';

export const netlifyServer = serverPlatform({ adapter: netlifyAdapter, staticFiles: netlifyStaticFiles, settings: netlifySettings });
