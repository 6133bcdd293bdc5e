import { z } from 'zod';
import type { PlatformInfo } from '../types';
import { localCloudEnv } from './local';
import { AmplifyHelp } from './help';
import { AMPLIFY_REGIONS, amplifyRegionLabel, isAmplifyRegion } from './regions';

export const amplify = {
  id: 'amplify',
  label: 'AWS Amplify',
  mark: [{ d: 'M2 14 L8 2 L14 14 Z M6 14 L8 10 L10 14 Z', fill: '#ff9900', evenOdd: true }],
  connectionInput: z
    .object({
      platform: z.literal('amplify'),
      accessKeyId: z
        .string()
        .trim()
        .regex(/^(AKIA|ASIA)[A-Z0-9]{16}$/, {
          error: 'An access key id is 20 characters starting with AKIA (or ASIA for temporary keys). Copy it again from the IAM console.',
        }),
      secretAccessKey: z.string().trim().min(30, { error: 'Paste the whole secret access key (40 characters).' }).max(128),
      /** Temporary keys (ASIA…) come with a session token; long-term keys (AKIA…) have none. */
      sessionToken: z
        .string()
        .trim()
        .max(4096, { error: 'A session token is at most a few hundred characters. Copy it again.' })
        .regex(/^[A-Za-z0-9+/=_-]*$/, { error: 'A session token has only letters, digits and + / = characters. Copy it again.' })
        .optional()
        .transform((v) => v || undefined),
      region: z.string().refine(isAmplifyRegion, { error: 'Pick a region from the list: one where Amplify Hosting is available.' }),
      appId: z
        .string()
        .trim()
        .regex(/^d[a-z0-9]{1,19}$/, { error: 'An Amplify app id looks like d1a2b3c4d5e6f7 (App settings → General).' })
        .optional()
        .or(z.literal('').transform(() => undefined)),
    })
    .refine((v) => !v.accessKeyId.startsWith('ASIA') || v.sessionToken, {
      path: ['sessionToken'],
      error: 'A key starting with ASIA is temporary: paste the session token that came with it.',
    }),
  fields: [
    { name: 'accessKeyId', label: 'Access key ID', mono: true, placeholder: 'AKIA…' },
    { name: 'secretAccessKey', label: 'Secret access key', secret: true },
    {
      name: 'sessionToken',
      label: 'Session token',
      secret: true,
      hint: 'Temporary keys (starting with ASIA) come with a session token: paste it too. It stops working when the keys expire.',
      when: (v) => (v.accessKeyId ?? '').trim().startsWith('ASIA'),
    },
    { name: 'region', label: 'Region', initial: 'us-east-1', options: AMPLIFY_REGIONS.map((r) => ({ value: r.id, label: `${r.label} · ${r.id}` })) },
    {
      name: 'appId',
      label: 'App ID',
      mono: true,
      optional: true,
      placeholder: 'd1a2b3c4d5e6f7',
      hint: 'Leave empty and Huskit creates an app for your sites.',
    },
  ],
  hintField: 'accessKeyId',
  secretName: 'access keys',
  steps: [
    { id: 'queued', label: 'Queued' },
    { id: 'app', label: 'Finding the app' },
    { id: 'branch', label: 'Preparing the branch' },
    { id: 'jobs', label: 'Checking earlier jobs' },
    { id: 'zip', label: 'Packing the files' },
    { id: 'upload', label: 'Uploading' },
    { id: 'start', label: 'Starting the job' },
    { id: 'build', label: 'Publishing' },
  ],
  quickDeploy: { defaultQuota: 40 },
  accountRows: ({ accountFacts: f, secretHint }) => [
    { label: 'Region', value: f.region ? `${f.regionName ?? amplifyRegionLabel(f.region)} · ${f.region}` : '—' },
    {
      label: 'Amplify app',
      value: f.appId
        ? `${f.appName ? `${f.appName} · ` : ''}${f.appId}`
        : `None yet: one is created for your first site${f.apps ? ` (${f.apps} ${f.apps === '1' ? 'app' : 'apps'} in this region now)` : ''}`,
    },
    { label: 'Access key', value: secretHint, mono: true },
  ],
  accountName: ({ accountFacts: f, secretHint }) => `the AWS access key ${secretHint}${f.region ? ` (${f.region})` : ''}`,
  connectedMessage: (f) => `Connected to AWS Amplify in ${f.regionName ?? f.region ?? 'your region'}.`,
  localCloudEnv,
  help: AmplifyHelp,
} as const satisfies PlatformInfo<'amplify'>;
