import type { EmulatorTwin } from '../platform';
import { createAmplify } from './api';

export const amplifyTwin: EmulatorTwin = {
  create: createAmplify,
  banner: ({ url, port, config }) =>
    `Amplify API     ${url}   (region ${config.aws.region})   sites: http://{branch}.${config.aws.apps[0]!.appId}.amplifyapp.localhost:${port}/`,
};
