import { z } from 'zod';
import type { PlatformInfo } from '../types';
import { localCloudEnv } from './local';
import { CloudflareHelp } from './help';

export const cloudflare = {
  id: 'cloudflare',
  label: 'Cloudflare',
  mark: [
    { d: 'M3 10a6 3.5 0 1 0 12 0a6 3.5 0 1 0-12 0Z', fill: '#f38020' },
    { d: 'M3.5 8a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0Z', fill: '#faad3f' },
  ],
  connectionInput: z.object({
    platform: z.literal('cloudflare'),
    apiToken: z
      .string()
      .trim()
      .min(20, { error: 'Paste the whole API token (it is about 40 characters).' })
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, { error: 'An API token has only letters, digits, "-" and "_". Copy it again from the Cloudflare dashboard.' }),
    accountId: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f]{32}$/, { error: 'The account id is 32 hexadecimal characters: find it on the Workers & Pages overview.' }),
  }),
  fields: [
    { name: 'apiToken', label: 'API token', secret: true, hint: 'A custom token with Workers Scripts: Edit and Account Settings: Read.' },
    {
      name: 'accountId',
      label: 'Account ID',
      mono: true,
      placeholder: '32 hexadecimal characters',
      hint: 'On the Workers & Pages overview, right-hand column.',
    },
  ],
  hintField: 'apiToken',
  secretName: 'API token',
  steps: [
    { id: 'queued', label: 'Queued' },
    { id: 'upload', label: 'Uploading changed files' },
    { id: 'activate', label: 'Publishing the Worker' },
    { id: 'workers-dev', label: 'Turning on the URL' },
  ],
  quickDeploy: { defaultQuota: 80 },
  accountRows: ({ accountFacts: f, secretHint }) => [
    { label: 'Account', value: f.accountName ?? '—' },
    { label: 'Account ID', value: f.accountId ?? '—', mono: true },
    { label: 'workers.dev subdomain', value: f.subdomain ? `${f.subdomain}.workers.dev` : '—', mono: true },
    { label: 'API token', value: secretHint, mono: true },
  ],
  accountName: ({ accountFacts: f }) => (f.accountName ? `the Cloudflare account “${f.accountName}”` : 'this Cloudflare account'),
  connectedMessage: (f) => `Connected to the Cloudflare account ${f.accountName ?? ''}.`,
  localCloudEnv,
  help: CloudflareHelp,
} as const satisfies PlatformInfo<'cloudflare'>;
