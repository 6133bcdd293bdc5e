// SigV4 verification of Amplify API requests. The signature is recomputed with @smithy/signature-v4
// (the signer the AWS SDK itself uses), not with hand-written code, so that a canonicalisation
// mistake shared by the product's signer (aws4fetch) and the emulator cannot pass unnoticed.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4, getCanonicalHeaders, prepareRequest } from '@smithy/signature-v4';
import type { CloudConfig } from '../config';
import type { AwsIdentity } from './config';
import { AmplifyError } from './errors';
import { constantTimeEqual, formatAmzDate, parseAmzDate, parseRawQuery, type SignableRequest } from '../aws-signing';

const SERVICE = 'amplify';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const invalidSignature = (message: string) => new AmplifyError(403, 'InvalidSignatureException', message);
const incomplete = (message: string) => new AmplifyError(400, 'IncompleteSignatureException', message);
const invalidToken = () => new AmplifyError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');

/** Smithy's signer, plus the canonical request and string-to-sign AWS quotes back on a mismatch. */
class VerifyingSigner extends SignatureV4 {
  async explain(request: SignableRequest, signableHeaders: Set<string>, payloadHash: string, longDate: string, scope: string) {
    const prepared = prepareRequest(request);
    prepared.headers['x-amz-date'] = longDate;
    const canonical = this.createCanonicalRequest(prepared, getCanonicalHeaders(prepared, undefined, signableHeaders), payloadHash);
    const stringToSign = await this.createStringToSign(longDate, scope, canonical, 'AWS4-HMAC-SHA256');
    return { canonical, stringToSign };
  }
}

export class SigV4Verifier {
  private signers = new Map<string, VerifyingSigner>();

  constructor(private readonly config: CloudConfig) {}

  private signerFor(identity: AwsIdentity): VerifyingSigner {
    let signer = this.signers.get(identity.accessKeyId);
    if (!signer) {
      signer = new VerifyingSigner({
        service: SERVICE,
        region: this.config.amplify.region,
        credentials: {
          accessKeyId: identity.accessKeyId,
          secretAccessKey: identity.secretAccessKey,
          ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
        },
        sha256: Sha256,
        uriEscapePath: true,
        applyChecksum: false,
      });
      this.signers.set(identity.accessKeyId, signer);
    }
    return signer;
  }

  /** The calling identity, or an AmplifyError shaped like AWS's front end answers. */
  async verify(req: IncomingMessage, body: Buffer, now: number): Promise<AwsIdentity> {
    const authorization = req.headers.authorization;
    if (!authorization) throw new AmplifyError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');

    const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization);
    if (!m)
      throw incomplete(
        `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of the AWS4-HMAC-SHA256 algorithm. Authorization=${authorization}`,
      );
    const params: Record<string, string> = {};
    for (const part of m[1]!.split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !params[k]);
    if (missing.length) throw incomplete(missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ') + ` Authorization=${authorization}`);

    const amzDate = headerValue(req, 'x-amz-date');
    if (!amzDate) throw incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`);
    const signingDate = parseAmzDate(amzDate);
    if (!signingDate) throw invalidSignature(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);

    const [accessKeyId, scopeDate, region, service, terminator, ...extra] = params.Credential!.split('/');
    const identity = this.config.amplify.identities.find((i) => i.accessKeyId === accessKeyId);
    if (!identity) throw invalidToken();
    // Temporary credentials (ASIA…) are valid only with the session token STS issued with them, sent as
    // X-Amz-Security-Token (IAM User Guide, "Signing AWS API requests": temporary security credentials
    // add that header; the AWS SDK's signer sets it from `credentials.sessionToken`). Without it, or
    // with another one, AWS answers UnrecognizedClientException as for an unknown key.
    if (identity.sessionToken !== undefined) {
      const token = headerValue(req, 'x-amz-security-token');
      if (!token || !constantTimeEqual(token, identity.sessionToken)) throw invalidToken();
    }
    if (extra.length || !scopeDate || !region || !service || !terminator)
      throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${params.Credential}'`);
    if (scopeDate !== amzDate.slice(0, 8))
      throw invalidSignature(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      );
    if (region !== this.config.amplify.region) throw invalidSignature(`Credential should be scoped to a valid region, not '${region}'. `);
    if (service !== SERVICE) throw invalidSignature(`Credential should be scoped to correct service: '${SERVICE}'. `);
    if (terminator !== 'aws4_request') throw invalidSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);

    const skew = signingDate.getTime() - now;
    if (skew < -MAX_SKEW_MS)
      throw invalidSignature(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`);
    if (skew > MAX_SKEW_MS)
      throw invalidSignature(`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`);

    const signedHeaders = params.SignedHeaders!.split(';').map((h) => h.trim().toLowerCase());
    if (!signedHeaders.includes('host')) throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

    // The body hash is always our own: a signed x-amz-content-sha256 that disagrees is a tampered body.
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const claimedHash = headerValue(req, 'x-amz-content-sha256');
    if (claimedHash !== undefined && signedHeaders.includes('x-amz-content-sha256') && claimedHash !== payloadHash) {
      throw invalidSignature(MISMATCH);
    }

    // Exactly the headers the client says it signed, with the values we received.
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = headerValue(req, name);
      if (value !== undefined) headers[name] = value;
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    // The path exactly as received (still percent-encoded); smithy encodes it once more (SigV4 encodes non-S3 paths twice).
    const request: SignableRequest = {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: q < 0 ? rawUrl : rawUrl.slice(0, q),
      query: q < 0 ? {} : parseRawQuery(rawUrl.slice(q + 1)),
      headers,
      body: body.length ? body : undefined,
    };
    const signer = this.signerFor(identity);
    const signableHeaders = new Set(signedHeaders);
    const signed = await signer.sign(request, { signingDate, signableHeaders });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
    if (!constantTimeEqual(expected, params.Signature!)) {
      const scope = `${scopeDate}/${region}/${service}/${terminator}`;
      const { canonical, stringToSign } = await signer.explain(request, signableHeaders, payloadHash, amzDate, scope);
      throw invalidSignature(
        `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
      );
    }
    return identity;
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
