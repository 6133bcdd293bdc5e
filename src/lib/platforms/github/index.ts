import { z } from 'zod';
import type { PlatformInfo } from '../types';
import { GithubHelp } from './help';
import { localCloudEnv } from './local';

export const github = {
  id: 'github',
  label: 'GitHub Pages',
  mark: [
    {
      d: 'M8 1a7 7 0 1 0 0 14A7 7 0 1 0 8 1Zm0 3a2.5 2.5 0 1 1 0 5a2.5 2.5 0 1 1 0-5Zm-4 8.2C5 10.9 6.4 10.3 8 10.3s3 .6 4 1.9A5.4 5.4 0 0 1 8 14a5.4 5.4 0 0 1-4-1.8Z',
      className: 'fill-neutral-900 dark:fill-neutral-100',
      evenOdd: true,
    },
  ],
  connectionInput: z.object({
    platform: z.literal('github'),
    token: z
      .string()
      .trim()
      .regex(/^(?:github_pat_[A-Za-z0-9_]{20,255}|gh[pousr]_[A-Za-z0-9]{30,255})$/, {
        error:
          'A GitHub token starts with github_pat_ (fine-grained) or ghp_ (classic). Copy it again from Settings → Developer settings → Personal access tokens.',
      }),
  }),
  fields: [
    {
      name: 'token',
      label: 'Personal access token',
      secret: true,
      hint: 'Fine-grained, for all your repositories, with Administration, Contents and Pages: Read and write.',
    },
  ],
  hintField: 'token',
  secretName: 'token',
  steps: [
    { id: 'queued', label: 'Queued' },
    { id: 'repo', label: 'Preparing the repository' },
    { id: 'upload', label: 'Uploading changed files' },
    { id: 'commit', label: 'Committing the site' },
    { id: 'pages', label: 'Turning on GitHub Pages' },
    { id: 'build', label: 'Publishing' },
  ],
  // No shared GitHub account: sites go to the person's own repositories only.
  quickDeploy: null,
  accountRows: ({ accountFacts: f, secretHint }) => [
    { label: 'User', value: f.name ? `${f.name} · ${f.login ?? ''}` : (f.login ?? '—') },
    { label: 'Sites at', value: f.login ? `${f.login.toLowerCase()}.github.io` : '—', mono: true },
    { label: 'Token', value: secretHint, mono: true },
  ],
  accountName: ({ accountFacts: f }) => (f.login ? `the GitHub account “${f.login}”` : 'this GitHub account'),
  connectedMessage: (f) => `Connected to GitHub as ${f.login ?? 'you'}.`,
  localCloudEnv,
  help: GithubHelp,
} as const satisfies PlatformInfo<'github'>;
