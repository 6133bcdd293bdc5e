// What an API key may do, shared by the Settings form (browser) and the server. A key never manages
// keys, connections, the password, sessions or admin work: those need a signed-in session.
import { z } from 'zod';

export const API_KEY_SCOPES = ['deploy', 'status'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const API_KEY_SCOPE_INFO: Record<ApiKeyScope, { label: string; description: string }> = {
  deploy: { label: 'Deploy', description: 'Upload files and create, redeploy, roll back or cancel deployments.' },
  status: { label: 'Read status', description: 'Read your deployments, their status, logs and live events.' },
};

/** Days a new key lives; `null` is "never expires". */
export const API_KEY_EXPIRY_DAYS = [30, 90, 365, null] as const;
export type ApiKeyExpiryDays = (typeof API_KEY_EXPIRY_DAYS)[number];

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, { error: 'Give the key a name.' }).max(60, { error: 'Use at most 60 characters.' }),
  scopes: z
    .array(z.enum(API_KEY_SCOPES, { error: 'Choose what the key may do: deploy, read status, or both.' }))
    .min(1, { error: 'Choose at least one thing the key may do.' })
    .default([...API_KEY_SCOPES])
    .transform((s) => [...new Set(s)].sort() as ApiKeyScope[]),
  expiresInDays: z.union([z.literal(30), z.literal(90), z.literal(365), z.null()], { error: 'Choose 30, 90 or 365 days, or no expiry.' }).default(90),
});
export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;
