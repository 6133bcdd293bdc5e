import { z } from 'zod';
import type { PlatformInfo } from '../types';
import { localCloudEnv } from './local';
import { NetlifyHelp } from './help';

export const netlify = {
  id: 'netlify',
  label: 'Netlify',
  mark: [{ d: 'M8 1 L15 8 L8 15 L1 8 Z', fill: '#05bdba' }],
  connectionInput: z.object({
    platform: z.literal('netlify'),
    token: z
      .string()
      .trim()
      .min(20, { error: 'Paste the whole personal access token (it is about 40 characters).' })
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, { error: 'A Netlify token has only letters, digits, "-" and "_". Copy it again from User settings → Applications.' }),
  }),
  fields: [{ name: 'token', label: 'Personal access token', secret: true, hint: 'User settings → Applications → Personal access tokens.' }],
  hintField: 'token',
  secretName: 'token',
  steps: [
    { id: 'queued', label: 'Queued' },
    { id: 'site', label: 'Preparing the site' },
    { id: 'upload', label: 'Uploading changed files' },
    { id: 'activate', label: 'Publishing the deploy' },
  ],
  quickDeploy: { defaultQuota: 80 },
  accountRows: ({ accountFacts: f, secretHint }) => [
    { label: 'Account', value: f.accountName ?? f.email ?? '—' },
    { label: 'Team', value: f.accountSlug ?? '—', mono: true },
    { label: 'Token', value: secretHint, mono: true },
  ],
  accountName: ({ accountFacts: f }) => (f.accountName ? `the Netlify account “${f.accountName}”` : 'this Netlify account'),
  connectedMessage: (f) => `Connected to the Netlify account ${f.accountName ?? f.email ?? ''}.`,
  localCloudEnv,
  help: NetlifyHelp,
} as const satisfies PlatformInfo<'netlify'>;
