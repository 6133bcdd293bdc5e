// The vocabulary of a deployment, shared by the browser and the server.

export const DEPLOYMENT_PLATFORMS = ['cloudflare', 'amplify', 'netlify', 'vercel'] as const;
export type DeploymentPlatform = (typeof DEPLOYMENT_PLATFORMS)[number];

export const AUTH_MODES = ['user-token', 'platform-managed'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const DEPLOYMENT_STATUSES = ['pending', 'building', 'ready', 'error', 'canceled', 'expired'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses after which nothing more happens to a deployment. */
export const TERMINAL_STATUSES: readonly DeploymentStatus[] = ['ready', 'error', 'canceled', 'expired'];

export function isTerminalStatus(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface DeploymentResult {
  deploymentId: string;
  platform: DeploymentPlatform;
  status: DeploymentStatus;
  url?: string;
  error?: string;
}

/** One status event as the SSE stream and the log show it. */
export interface DeploymentStatusEvent {
  id: number;
  deploymentId: string;
  platform: DeploymentPlatform;
  status: DeploymentStatus;
  url?: string;
  error?: string;
  progress?: number;
  step: string;
  message: string;
  at: string;
}

/** A deployment as lists and detail views show it. */
export interface DeploymentSummary {
  id: string;
  siteId: string | null;
  chatId: string;
  platform: DeploymentPlatform;
  authMode: AuthMode;
  status: DeploymentStatus;
  step: string;
  progress: number;
  url: string | null;
  error: string | null;
  fileCount: number;
  totalSizeBytes: number;
  createdAt: Date;
  finishedAt: Date | null;
  expiresAt: Date | null;
}
