import { z } from 'zod';
import type { PlatformInfo } from '../types';
import { localCloudEnv } from './local';
import { VercelHelp } from './help';

export const vercel = {
  id: 'vercel',
  label: 'Vercel',
  mark: [{ d: 'M8 2 L15 14 L1 14 Z', className: 'fill-neutral-900 dark:fill-neutral-100' }],
  connectionInput: z.object({
    platform: z.literal('vercel'),
    token: z
      .string()
      .trim()
      .min(16, { error: 'Paste the whole token (Account settings → Tokens).' })
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, { error: 'A Vercel token has only letters, digits, "-" and "_". Copy it again from Account settings → Tokens.' }),
    teamId: z
      .string()
      .trim()
      .regex(/^team_[A-Za-z0-9]{1,64}$/, { error: 'A team id looks like team_a1B2c3D4… (Team settings → General). Leave it empty for your personal account.' })
      .optional()
      .or(z.literal('').transform(() => undefined)),
  }),
  fields: [
    { name: 'token', label: 'Token', secret: true, hint: 'Account settings → Tokens, scoped to the team the sites go to.' },
    { name: 'teamId', label: 'Team ID', mono: true, optional: true, placeholder: 'team_…', hint: 'Leave empty to deploy to your personal account.' },
  ],
  hintField: 'token',
  secretName: 'token',
  steps: [
    { id: 'queued', label: 'Queued' },
    { id: 'project', label: 'Preparing the project' },
    { id: 'upload', label: 'Uploading changed files' },
    { id: 'activate', label: 'Assigning the production URL' },
  ],
  quickDeploy: { defaultQuota: 80 },
  accountRows: ({ accountFacts: f, secretHint }) => [
    { label: 'User', value: f.username ?? f.email ?? '—' },
    { label: 'Team', value: f.teamName ? `${f.teamName}${f.teamId ? ` · ${f.teamId}` : ''}` : 'Personal account' },
    { label: 'Token', value: secretHint, mono: true },
  ],
  accountName: ({ accountFacts: f }) =>
    f.teamName ? `the Vercel team “${f.teamName}”` : f.username ? `the Vercel account “${f.username}”` : 'this Vercel account',
  connectedMessage: (f) => `Connected to Vercel${f.teamName ? ` (team ${f.teamName})` : f.username ? ` as ${f.username}` : ''}.`,
  localCloudEnv,
  help: VercelHelp,
} as const satisfies PlatformInfo<'vercel'>;
