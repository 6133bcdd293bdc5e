// POST /api/{platform}-deploy (rewritten here by next.config.mjs): the seed's URLs, one route for every platform.
import { inlineDeployRoute } from '@/server/http/deploy-routes';

export const runtime = 'nodejs';
export const maxDuration = 300;

export const POST = inlineDeployRoute;
