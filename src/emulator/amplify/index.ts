import type { EmulatorTwin } from '../platform';
import { defaultAmplifyConfig, type AmplifyConfig } from './config';
import { createAmplify } from './api';

export const amplifyTwin: EmulatorTwin<AmplifyConfig> = {
  defaultConfig: defaultAmplifyConfig,
  forTests: (config) => {
    config.jobStepMs = 100;
  },
  create: createAmplify,
  banner: ({ url, port, config }) =>
    `Amplify API     ${url}   (region ${config.amplify.region})   sites: http://{branch}.${config.amplify.apps[0]!.appId}.amplifyapp.localhost:${port}/`,
};
