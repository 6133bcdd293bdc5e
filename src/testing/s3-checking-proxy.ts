// A proxy in front of s3rver that checks what s3rver does not, and records what it saw. s3rver 3.7.1
// verifies no SigV4 signature (lib/middleware/authentication.js: "Signature version 4 calculation is
// unimplemented"; it only looks the access key up) and no payload hash; real S3 verifies both and
// refuses a body without Content-Length. So each request is checked here as S3 would: a body has its
// Content-Length and is not chunked (411 MissingContentLength), x-amz-content-sha256 is the body's
// real hash (400 XAmzContentSHA256Mismatch), and the signature, recomputed with @smithy/signature-v4
// (the AWS SDK's signer, not the aws4fetch the store signs with), matches (403 SignatureDoesNotMatch).
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { constantTimeEqual, parseAmzDate, parseRawQuery, type SignableRequest } from '@/emulator/aws-signing';
import type { S3Connection } from '@/server/storage/s3-request';

/** One request as the proxy received it, before any check. */
export interface RecordedS3Request {
  method: string;
  path: string;
  contentLength?: string;
  transferEncoding?: string;
  /** The Range asked for, if any. */
  range?: string;
  bodyBytes: number;
  /** Set when the proxy refused it (an S3 error Code); otherwise s3rver answered. */
  refused?: string;
}

export interface S3CheckingProxy {
  endpoint: string;
  requests: RecordedS3Request[];
  close(): Promise<void>;
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** Requests with a body that broke the Content-Length rule: none, when the client behaves. */
export function bodiesWithoutContentLength(requests: RecordedS3Request[]): RecordedS3Request[] {
  return requests.filter(
    (r) => (r.bodyBytes > 0 || r.transferEncoding !== undefined) && (r.contentLength !== String(r.bodyBytes) || r.transferEncoding !== undefined),
  );
}

export async function startS3CheckingProxy(upstream: string, connection: Omit<S3Connection, 'endpoint'>): Promise<S3CheckingProxy> {
  const requests: RecordedS3Request[] = [];
  const signer = new SignatureV4({
    service: 's3',
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    sha256: Sha256,
    // S3 signs the path as sent (encoded once); other services encode it twice.
    uriEscapePath: false,
    applyChecksum: false,
  });
  const target = new URL(upstream);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const record: RecordedS3Request = {
      method: req.method ?? '',
      path: req.url ?? '',
      contentLength: req.headers['content-length'],
      transferEncoding: req.headers['transfer-encoding'],
      range: req.headers.range,
      bodyBytes: body.length,
    };
    requests.push(record);
    const refusal = checkBody(req, body) ?? (await checkSignature(req, signer, connection.accessKeyId));
    if (refusal) {
      record.refused = refusal.code;
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`;
      res.writeHead(refusal.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
      return;
    }
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const forwarded = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function checkBody(req: IncomingMessage, body: Buffer): Refusal | undefined {
  if ((body.length > 0 || req.headers['transfer-encoding']) && (req.headers['transfer-encoding'] || req.headers['content-length'] === undefined))
    return { status: 411, code: 'MissingContentLength', message: 'You must provide the Content-Length HTTP header.' };
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed === undefined) return { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' };
  if (claimed !== 'UNSIGNED-PAYLOAD' && claimed !== createHash('sha256').update(body).digest('hex'))
    return { status: 400, code: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
  return undefined;
}

async function checkSignature(req: IncomingMessage, signer: SignatureV4, accessKeyId: string): Promise<Refusal | undefined> {
  const denied = (message: string): Refusal => ({ status: 403, code: 'AccessDenied', message });
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
  if (!m) return denied('Every request must be signed with SigV4 in the Authorization header.');
  const [, credential, signedHeaderList, signature] = m as unknown as [string, string, string, string];
  if (credential.split('/')[0] !== accessKeyId)
    return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  const signingDate = parseAmzDate(String(req.headers['x-amz-date'] ?? ''));
  if (!signingDate) return denied('AWS authentication requires a valid x-amz-date header.');

  // Exactly the headers the client says it signed, with the values received.
  const headers: Record<string, string> = {};
  const signableHeaders = new Set(signedHeaderList.split(';'));
  for (const name of signableHeaders) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const request: SignableRequest = {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: headers.host ?? '',
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? {} : parseRawQuery(url.slice(q + 1)),
    headers,
  };
  const signed = await signer.sign(request, { signingDate, signableHeaders });
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  if (!constantTimeEqual(expected, signature))
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
  return undefined;
}
