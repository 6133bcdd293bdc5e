import { getDb } from '@/server/db/client';
import { servePreview } from '@/server/preview/serve';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The editor's live preview, served on the preview origin only (src/server/preview). */
export async function GET(request: Request) {
  return servePreview(await getDb(), request);
}
