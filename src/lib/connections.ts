// What a person pastes to connect a platform account, checked the same way in the form and on the server.
import { z } from 'zod';
import { isAmplifyRegion } from './aws-regions';

export const cloudflareConnectionInput = z.object({
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
});

export const amplifyConnectionInput = z
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
  });

export const netlifyConnectionInput = z.object({
  platform: z.literal('netlify'),
  token: z
    .string()
    .trim()
    .min(20, { error: 'Paste the whole personal access token (it is about 40 characters).' })
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'A Netlify token has only letters, digits, "-" and "_". Copy it again from User settings → Applications.' }),
});

export const vercelConnectionInput = z.object({
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
});

export const connectionInput = z.discriminatedUnion('platform', [
  cloudflareConnectionInput,
  amplifyConnectionInput,
  netlifyConnectionInput,
  vercelConnectionInput,
]);
export type ConnectionInput = z.infer<typeof connectionInput>;
