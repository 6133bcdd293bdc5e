import { inlineDeployRoute } from '@/server/http/deploy-routes';

export const runtime = 'nodejs';
export const maxDuration = 300;

export const POST = inlineDeployRoute('netlify');
