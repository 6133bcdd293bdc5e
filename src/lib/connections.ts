// What a person pastes to connect a platform account, checked the same way in the form and on the server.
import { z } from 'zod';

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
