import type { EmulatorTwin } from '../platform';
import { createGithub } from './api';
import { defaultGithubConfig, type GithubConfig } from './config';

export const githubTwin: EmulatorTwin<GithubConfig> = {
  defaultConfig: defaultGithubConfig,
  create: createGithub,
  forTests: (config) => {
    config.buildStepMs = 100;
  },
  banner: ({ url, port }) => `GitHub API      ${url}/github   sites: http://{owner}.github.localhost:${port}/{repo}/`,
};
