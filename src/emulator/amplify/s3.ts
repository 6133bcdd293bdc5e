// The S3 side of CreateDeployment: presigned PUT URLs minted and checked with smithy's SigV4
// (query-string form, service "s3"), answering in S3's XML error format.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FiredFault } from '../faults';
import type { ApiSurface, EmulatorServices, ErrorKind } from '../platform';
import { Router, type RequestContext } from '../router';
import { constantTimeEqual, parseAmzDate, parseRawQuery, type SignableRequest } from '../aws-signing';

export const S3_PREFIX = '/_s3';
/** How much one upload may carry here; real S3 allows 5 GB in one PUT, but this emulator buffers in memory. */
export const UPLOAD_LIMIT = 200 * 1024 * 1024;

// The emulator's own "Amplify service" credentials for the bucket; nothing outside the emulator knows them.
const UPLOAD_KEY = { accessKeyId: 'AKIAAMPLIFYLOCALS3UP', secretAccessKey: 'local/amplify/deployment/bucket/presign/key/00' };
const AUTH_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;
const UNSIGNED = 'UNSIGNED-PAYLOAD';

export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function sendS3Error(res: ServerResponse, err: S3Error): void {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const fields = { Code: err.code, Message: err.message, ...err.extra, RequestId: requestId };
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${Object.entries(fields)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('')}</Error>`;
  res.writeHead(err.status, {
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(xml)),
    'x-amz-request-id': requestId,
    ...err.headers,
  });
  res.end(xml);
}

export interface UploadTarget {
  bucket: string;
  appId: string;
  /** The object name, `{uploadId}.zip`. */
  object: string;
}

export class UploadUrls {
  private signer: SignatureV4;
  readonly bucket: string;

  constructor(private readonly services: EmulatorServices) {
    const region = services.config.amplify.region;
    this.bucket = `aws-amplify-${region}-local-deployments`;
    // S3 is the one service whose canonical path is not encoded a second time.
    this.signer = new SignatureV4({ service: 's3', region, credentials: UPLOAD_KEY, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  }

  private request(method: string, host: string, path: string, query: Record<string, string | string[]>): SignableRequest {
    // Presigned S3 URLs do not sign the payload; the header is not signed either (only `host` is).
    return { method, protocol: 'http:', hostname: host, path, query, headers: { host, 'x-amz-content-sha256': UNSIGNED } };
  }

  private async presign(req: SignableRequest, signingDate: Date, expiresIn: number) {
    const signed = await this.signer.presign(req, {
      signingDate,
      expiresIn,
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
    });
    return signed.query ?? {};
  }

  /** A presigned PUT URL for one job's zip, valid presignExpiresSeconds from the emulator's now. */
  async mint(appId: string, uploadId: string): Promise<string> {
    const origin = this.services.origin();
    const path = `${S3_PREFIX}/${this.bucket}/${appId}/${uploadId}.zip`;
    const query = await this.presign(
      this.request('PUT', new URL(origin).host, path, {}),
      new Date(this.services.clock.now()),
      this.services.config.amplify.presignExpiresSeconds,
    );
    const qs = AUTH_PARAMS.map((k) => `${k}=${encodeURIComponent(String(query[k]))}`).join('&');
    return `${origin}${path}?${qs}`;
  }

  /** Checks a request against its query-string signature the way S3 does; throws S3Error. */
  async verify(req: IncomingMessage): Promise<void> {
    if (req.headers.authorization) {
      throw new S3Error(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        {
          ArgumentName: 'Authorization',
          ArgumentValue: String(req.headers.authorization),
        },
      );
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? {} : parseRawQuery(rawUrl.slice(q + 1));
    const param = (k: string) => {
      const v = query[k];
      return Array.isArray(v) ? v[0] : v;
    };
    if (AUTH_PARAMS.every((k) => param(k) === undefined)) throw new S3Error(403, 'AccessDenied', 'Access Denied');
    if (AUTH_PARAMS.some((k) => !param(k))) {
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
    if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');

    const [accessKeyId, , region, service] = param('X-Amz-Credential')!.split('/');
    if (accessKeyId !== UPLOAD_KEY.accessKeyId) {
      throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId ?? '' });
    }
    const expectedRegion = this.services.config.amplify.region;
    if (region !== expectedRegion)
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        `Error parsing the X-Amz-Credential parameter; the region '${region}' is wrong; expecting '${expectedRegion}'`,
        { Region: expectedRegion },
      );
    if (service !== 's3')
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        `Error parsing the X-Amz-Credential parameter; incorrect service '${service}'. This endpoint belongs to 's3'.`,
      );
    const date = parseAmzDate(param('X-Amz-Date')!);
    if (!date) throw new S3Error(400, 'AuthorizationQueryParametersError', "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    const expires = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800) {
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
    }

    const now = this.services.clock.now();
    const expiresAt = date.getTime() + expires * 1000;
    if (now > expiresAt) {
      throw new S3Error(403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': String(expires),
        Expires: new Date(expiresAt).toISOString().replace(/\.\d{3}/, ''),
        ServerTime: new Date(now).toISOString().replace(/\.\d{3}/, ''),
      });
    }

    // Recompute the presign for the method actually used: a POST to a PUT URL does not match (S3 SignatureDoesNotMatch).
    const rest: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(query)) if (!(AUTH_PARAMS as readonly string[]).includes(k) && k !== 'X-Amz-Security-Token') rest[k] = v;
    const expected = await this.presign(this.request(req.method ?? 'GET', req.headers.host ?? '', path, rest), date, expires);
    if (
      expected['X-Amz-SignedHeaders'] !== param('X-Amz-SignedHeaders') ||
      !constantTimeEqual(String(expected['X-Amz-Signature']), param('X-Amz-Signature')!)
    ) {
      throw new S3Error(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        {
          AWSAccessKeyId: accessKeyId,
          SignatureProvided: param('X-Amz-Signature')!,
        },
      );
    }
  }
}

function s3FrameworkError(kind: ErrorKind, message: string): S3Error {
  switch (kind) {
    case 'not_found':
      return new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    case 'method_not_allowed':
      return new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    case 'too_large':
      return new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { MaxSizeAllowed: String(UPLOAD_LIMIT) });
    case 'internal':
      return new S3Error(500, 'InternalError', message || 'We encountered an internal error. Please try again.');
  }
}

function s3Fault(fault: FiredFault): S3Error {
  const status = fault.status ?? 503;
  const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
  if (status === 429 || status === 503) return new S3Error(status, 'SlowDown', 'Please reduce your request rate.', {}, headers);
  return new S3Error(status, 'InternalError', 'We encountered an internal error. Please try again.', {}, headers);
}

/**
 * The upload surface. Every method is routed so that a wrong one gets S3's answer (the signature
 * covers the method, hence SignatureDoesNotMatch) instead of the framework's 405.
 */
export function createS3Surface(urls: UploadUrls, onUpload: (target: UploadTarget, bytes: Buffer) => void): ApiSurface {
  const router = new Router();
  const handler = async (ctx: RequestContext) => {
    try {
      await urls.verify(ctx.req);
      if (ctx.req.method !== 'PUT') throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      if (ctx.params.bucket !== urls.bucket)
        throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: ctx.params.bucket ?? '' });
      // A presigned PUT carries its length: S3 takes no chunked body without aws-chunked signing.
      if (ctx.req.headers['content-length'] === undefined) throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
      const bytes = await ctx.body(UPLOAD_LIMIT);
      onUpload({ bucket: ctx.params.bucket, appId: ctx.params.appId ?? '', object: ctx.params.object ?? '' }, bytes);
      const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
      ctx.res.writeHead(200, { etag, 'content-length': '0', 'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase() });
      ctx.res.end();
    } catch (err) {
      if (err instanceof S3Error) return sendS3Error(ctx.res, err);
      throw err;
    }
  };
  for (const method of ['PUT', 'POST', 'GET', 'HEAD', 'DELETE', 'PATCH']) router.add(method, '/:bucket/:appId/:object', handler);
  return {
    target: 's3',
    prefix: S3_PREFIX,
    router,
    sendError: (res, kind, message) => sendS3Error(res, s3FrameworkError(kind, message)),
    sendFault: (res, fault) => sendS3Error(res, s3Fault(fault)),
  };
}
