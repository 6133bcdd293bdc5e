// Cloudflare's v4 envelope: { success, errors, messages, result }, and its error codes (spec §5).
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http';

export class CloudflareError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly errorChain?: { code: number; message: string }[],
  ) {
    super(message);
  }
}

export function sendResult(res: ServerResponse, result: unknown, status = 200, extra: { messages?: unknown[]; result_info?: unknown } = {}): void {
  sendJson(res, status, {
    success: true,
    errors: [],
    messages: extra.messages ?? [],
    result,
    ...(extra.result_info ? { result_info: extra.result_info } : {}),
  });
}

export function sendCloudflareError(res: ServerResponse, err: CloudflareError): void {
  sendJson(
    res,
    err.status,
    {
      success: false,
      errors: [{ code: err.code, message: err.message, ...(err.errorChain ? { error_chain: err.errorChain } : {}) }],
      messages: [],
      result: null,
    },
    err.headers,
  );
}

export const notFoundWorker = (name: string) => new CloudflareError(404, 10007, `This Worker does not exist on your account. (script: ${name})`);
export const authError = () => new CloudflareError(403, 10000, 'Authentication error');
