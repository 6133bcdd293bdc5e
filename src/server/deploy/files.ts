// A deployment's files: the manifest a client proposes is checked before anything leaves the server
// (paths, limits, an index.html at the root), and the simple JSON form of the seed
// (`files: { path: "text" | { base64 } }`) is turned into blobs.
import { Readable } from 'node:stream';
import { z } from 'zod';
import { INLINE_CHANGES_LIMITS } from '@/lib/deploy-client';
import type { DeploymentPlatform } from '@/lib/deployment';
import type { ManifestChanges, ProposedManifest } from '@/lib/manifest';
import { folderHoldingIndex, formatBytes, normalizeSitePath, printablePath, servedContentType, SHA256_HEX, SITE_LIMITS, type Manifest } from '@/lib/site-files';
import { AppError } from '../errors';
import { adapterFor } from './adapters';
import { sha256Hex } from './blob-keys';
import type { BlobReader } from './blob-reader';
import type { BlobStore } from './blob-store';

/** What the checks of a new deployment read, of one user's files: sizes held, bytes, and the scan's memory. */
export interface BlobSource {
  heldSizes(userId: string, hashes: string[]): Promise<Map<string, number>>;
  /** Reads many blobs (a deployment's), their places looked up together. */
  reader(userId: string, sha256s: string[]): BlobReader;
  notPassedScan(userId: string, sha256s: string[], mark: string): Promise<Set<string>>;
  markScanned(userId: string, sha256s: string[], mark: string): Promise<void>;
}

/**
 * Path → one file's value, as a JSON body names them. zod's `record` leaves out a key named
 * `__proto__` (it guards the object it builds), and a file may have that name: each value is checked
 * on its own, and the files kept as own properties.
 */
function filesByPath<T extends z.ZodType>(value: T) {
  return z
    .custom<Record<string, z.input<T>>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
      error: 'Send the files as an object of path → file.',
    })
    .transform((files, ctx) => {
      // Counted before any file is read: a body of millions of empty files is refused by its count, not
      // after each was checked, decoded and hashed.
      let count = 0;
      for (const _ in files) count++;
      if (count > SITE_LIMITS.maxFiles) {
        ctx.issues.push({ code: 'custom', message: tooManyFiles(count).message, input: files, params: { action: 'fix-files' } });
        return z.NEVER;
      }
      const out = new Map<string, z.output<T>>();
      for (const [path, raw] of Object.entries(files)) {
        const parsed = value.safeParse(raw);
        if (parsed.success) out.set(path, parsed.data);
        else for (const issue of parsed.error.issues) ctx.issues.push({ code: 'custom', message: issue.message, input: raw, path: [path, ...issue.path] });
      }
      return Object.fromEntries(out) as Record<string, z.output<T>>;
    });
}

/** What a client proposes: path → hash and size. Content types are decided here, from the paths. */
export const proposedManifestSchema = filesByPath(
  z.object({ sha256: z.string().regex(SHA256_HEX, { error: 'Each file needs its SHA-256 as 64 lowercase hex characters.' }), size: z.number().int().min(0) }),
) satisfies z.ZodType<ProposedManifest>;
export type { ProposedManifest };

/** A delta's changes: files added or changed, and paths removed (at most every file of a deployment). */
export const manifestChangesSchema = z.object({
  changed: proposedManifestSchema.default({}),
  removed: z.array(z.string()).max(SITE_LIMITS.maxFiles).default([]),
}) satisfies z.ZodType<ManifestChanges, unknown>;

/** The seed's simple body: UTF-8 text, or `{ base64 }` for binary files. */
export const inlineFilesSchema = filesByPath(z.union([z.string(), z.object({ base64: z.string() })]));
export type InlineFiles = z.infer<typeof inlineFilesSchema>;

const bad = (message: string) => new AppError('BAD_REQUEST', message).withAction('fix-files');

/** What a refused delta (409) says to do: the client then sends its whole manifest. */
export const sendWhole = 'Negotiate with the whole manifest instead.';

export function validateManifest(proposed: ProposedManifest, platform: DeploymentPlatform): Manifest {
  // In path order, as the browser uploads them: small files then sit in their packs in the order every
  // reader walks the manifest (blob-reader.ts).
  const entries = Object.entries(proposed).sort(byPath);
  if (entries.length > SITE_LIMITS.maxFiles) throw tooManyFiles(entries.length);
  // A Map, then own properties: a file may be named `constructor` or `__proto__`.
  const files = new Map<string, Manifest[string]>();
  for (const [raw, entry] of entries) {
    const path = sitePath(raw);
    if (files.has(path)) throw bad(`Two files end up at the same path "${path}". Rename one of them.`);
    files.set(path, { sha256: entry.sha256, size: entry.size, contentType: servedContentType(path) });
  }
  const manifest: Manifest = Object.fromEntries(files);
  checkSite(manifest, platform);
  pathsChecked.add(manifest);
  return manifest;
}

/** The path as a site stores it (`normalizeSitePath`); refused with the reason when it cannot be one. */
export function sitePath(raw: string): string {
  const check = normalizeSitePath(raw);
  if (!check.ok) throw bad(`The file path "${printable(raw)}" ${check.reason}.`);
  return check.path;
}

/**
 * Manifests whose every path this process checked (normalizeSitePath, today's rules): a stored one
 * read back is checked once before a delta builds on it, since the rules may have grown stricter
 * since it was stored.
 */
const pathsChecked = new WeakSet<Readonly<Manifest>>();

/**
 * A delta's files: the base's (a stored manifest: paths normalized and typed already, and checked once
 * against today's rules) with the changes (paths normalized by the caller) applied, in path order.
 * Not checked yet: `checkSite` does, once the caller has checked that they are the files the client meant.
 */
export function withChanges(base: Readonly<Manifest>, changes: ManifestChanges): Manifest {
  if (!pathsChecked.has(base)) {
    // A base stored under older rules cannot take changes: 409, and the client sends the whole manifest
    // (where the path is refused with its reason, or absent if the user removed it).
    for (const path of Object.keys(base)) {
      const check = normalizeSitePath(path);
      if (!check.ok || check.path !== path)
        throw new AppError(
          'CONFLICT',
          `The base holds "${printable(path)}", which ${check.ok ? `is stored as "${printable(check.path)}" now` : check.reason}. ${sendWhole}`,
        );
    }
    pathsChecked.add(base);
  }
  // Spreads keep the base's path order (several times faster than rebuilding 5,000 paths from entries)
  // and define own properties (a file may be named `__proto__`); only a new path needs the order made again.
  const changed: Manifest = Object.fromEntries(
    Object.entries(changes.changed).map(([path, f]) => [path, { sha256: f.sha256, size: f.size, contentType: servedContentType(path) }]),
  );
  const files: Manifest = { ...base, ...changed };
  for (const path of changes.removed) delete files[path];
  const added = Object.keys(changed).some((path) => !Object.hasOwn(base, path));
  const rebuilt: Manifest = added ? Object.fromEntries(Object.entries(files).sort(byPath)) : files;
  pathsChecked.add(rebuilt);
  return rebuilt;
}

/** What every deployment's files must be (normalized paths, in path order): within the limits, each file one the platform takes, an index.html at the root. */
export function checkSite(manifest: Manifest, platform: DeploymentPlatform): Manifest {
  const paths = Object.keys(manifest);
  if (paths.length === 0) throw bad('The site has no files. Add an index.html and try again.');
  if (paths.length > SITE_LIMITS.maxFiles) throw tooManyFiles(paths.length);
  const adapter = adapterFor(platform);
  let total = 0;
  for (const path of paths) {
    const { size } = manifest[path]!;
    const refusal = adapter.refuseFile?.(path, size);
    if (refusal) throw bad(refusal);
    total += size;
  }
  if (total > SITE_LIMITS.maxTotalBytes)
    throw bad(
      `Files exceed size limit: the site is ${formatBytes(total)}; a deployment may be at most ${formatBytes(SITE_LIMITS.maxTotalBytes)}. Remove large files and try again.`,
    );
  if (!manifest['index.html']) {
    const folder = folderHoldingIndex(paths);
    throw bad(
      folder
        ? `There is no index.html at the root of your site: your files are under ${folder}. Deploy the contents of ${folder} instead.`
        : 'There is no index.html at the root of your site. Add one: it is the page visitors see first.',
    );
  }
  return manifest;
}

const byPath = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

const tooManyFiles = (count: number) =>
  bad(
    `Files exceed size limit: the site has ${count.toLocaleString('en-US')} files; a deployment may have at most ${SITE_LIMITS.maxFiles.toLocaleString('en-US')}.`,
  );

/** Decodes the simple JSON form into bytes and a proposed manifest; bad base64 is refused by name. */
export function decodeInlineFiles(files: InlineFiles): { proposed: ProposedManifest; bytes: Map<string, Buffer> } {
  const proposed = new Map<string, { sha256: string; size: number }>();
  const bytes = new Map<string, Buffer>();
  for (const [path, value] of Object.entries(files)) {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : fromBase64(value.base64, `The file "${printable(path)}"`);
    const sha256 = sha256Hex(data);
    proposed.set(path, { sha256, size: data.length });
    bytes.set(sha256, data);
  }
  // Own properties: a file may be named `__proto__`.
  return { proposed: Object.fromEntries(proposed), bytes };
}

/** Base64 decoded, or refused by name: Buffer.from would skip what is not base64 without a word. */
function fromBase64(text: string, what: string): Buffer {
  const b64 = text.replace(/\s+/g, '');
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw bad(`${what} is not valid base64.`);
  return Buffer.from(b64, 'base64');
}

/**
 * The bytes a redeploy carries inline (SHA-256 → base64), each hashed here: bytes that are not what
 * their name says, or that no changed file names, refuse the request.
 */
export function decodeChangedBlobs(files: Record<string, string>, changes: ManifestChanges): Map<string, Buffer> {
  const named = new Set(Object.values(changes.changed).map((f) => f.sha256));
  // Four base64 characters are three bytes: past the limit by length alone, nothing is decoded.
  const atLeast = Object.values(files).reduce((n, text) => n + Math.floor((text.replace(/\s+/g, '').length * 3) / 4) - 2, 0);
  if (atLeast > INLINE_CHANGES_LIMITS.maxBytes) throw inlineTooLarge(atLeast);
  const bytes = new Map<string, Buffer>();
  for (const [sha256, text] of Object.entries(files)) {
    if (!named.has(sha256)) throw bad(`The bytes sent as ${sha256} belong to no changed file. Send only the changed files' bytes.`);
    const data = fromBase64(text, `The file sent as ${sha256}`);
    const actual = sha256Hex(data);
    if (actual !== sha256) throw bad(`The bytes sent as ${sha256} hash to ${actual}. Send each file's bytes under its own SHA-256.`);
    bytes.set(sha256, data);
  }
  const total = [...bytes.values()].reduce((n, b) => n + b.length, 0);
  if (total > INLINE_CHANGES_LIMITS.maxBytes) throw inlineTooLarge(total);
  return bytes;
}

const inlineTooLarge = (total: number) =>
  bad(
    `The changed files sent inline are ${formatBytes(total)}; at most ${formatBytes(INLINE_CHANGES_LIMITS.maxBytes)} go in one request. Negotiate and upload them instead.`,
  );

/**
 * Stores inline files as the user's blobs (only those the user does not hold yet), within their storage
 * quota. `bytes` is keyed by the SHA-256 computed here from the bytes (decodeInlineFiles,
 * decodeChangedBlobs): they are not hashed again.
 */
export async function storeInlineFiles(store: BlobStore, userId: string, bytes: Map<string, Buffer>): Promise<void> {
  const files = [...bytes].map(([sha256, data]) => ({ sha256, bytes: data, digest: sha256 }));
  const size = (list: typeof files) => list.reduce((n, f) => n + f.bytes.length, 0);
  // Up to one upload request's size: putMany looks them up, checks the quota and stores them by itself.
  if (size(files) <= SITE_LIMITS.maxUploadRequestBytes) return store.putMany(userId, files);
  // More is refused before any of it is stored, then stored a batch at a time (one statement and its checks each, not one per file).
  const missing = new Set(await store.missing(userId, [...bytes.keys()]));
  const todo = files.filter((f) => missing.has(f.sha256));
  await store.assertRoom(userId, size(todo));
  let batch: typeof files = [];
  let batchBytes = 0;
  for (const f of todo) {
    if (batch.length && batchBytes + f.bytes.length > SITE_LIMITS.maxUploadRequestBytes) {
      await store.putMany(userId, batch);
      [batch, batchBytes] = [[], 0];
    }
    batch.push(f);
    batchBytes += f.bytes.length;
  }
  if (batch.length) await store.putMany(userId, batch);
}

/**
 * The files of an inline request before they are stored: every check reads them as if they were, so
 * a refused request stores nothing. `commit` then stores them (and what the scan passed).
 */
export class PendingBlobs implements BlobSource {
  private readonly scanned: { sha256s: string[]; mark: string }[] = [];
  constructor(
    private readonly base: BlobStore,
    private readonly userId: string,
    private readonly pending: Map<string, Buffer>,
  ) {}

  async heldSizes(userId: string, hashes: string[]): Promise<Map<string, number>> {
    const held = await this.base.heldSizes(userId, hashes);
    if (userId === this.userId) for (const h of hashes) if (this.pending.has(h)) held.set(h, this.pending.get(h)!.length);
    return held;
  }
  reader(userId: string, sha256s: string[]): BlobReader {
    const base = this.base.reader(
      userId,
      sha256s.filter((h) => !this.pending.has(h)),
    );
    const open = async (sha256: string) => (this.pending.has(sha256) ? Readable.from([this.pending.get(sha256)!]) : base.open(sha256));
    return { open, text: async (sha256) => this.pending.get(sha256)?.toString('utf8') ?? base.text(sha256), close: () => base.close() };
  }
  notPassedScan(userId: string, sha256s: string[], mark: string): Promise<Set<string>> {
    return this.base.notPassedScan(userId, sha256s, mark);
  }
  async markScanned(_userId: string, sha256s: string[], mark: string): Promise<void> {
    this.scanned.push({ sha256s, mark });
  }
  async commit(): Promise<void> {
    await storeInlineFiles(this.base, this.userId, this.pending);
    for (const s of this.scanned) await this.base.markScanned(this.userId, s.sha256s, s.mark);
  }
}

/**
 * The server decides sizes: every file must be one the user uploaded, and the size a client declared
 * must be the stored one (a lie would slip past the limits and the scan). Nothing is trusted before this.
 */
export async function assertStoredAsDeclared(store: Pick<BlobSource, 'heldSizes'>, userId: string, manifest: Manifest): Promise<void> {
  const held = await store.heldSizes(
    userId,
    Object.values(manifest).map((e) => e.sha256),
  );
  const missing = Object.entries(manifest).filter(([, e]) => !held.has(e.sha256));
  if (missing.length)
    throw bad(
      `${missing.length} file(s) of this deployment were not uploaded yet (first: "${printable(missing[0]![0])}"). Upload the files the server asked for, then deploy again.`,
    );
  assertHeldAsDeclared(manifest, held);
}

/** Each file of the manifest that `held` knows has the size it was stored with. */
export function assertHeldAsDeclared(manifest: Manifest, held: Map<string, number>): void {
  for (const [path, entry] of Object.entries(manifest)) {
    const stored = held.get(entry.sha256);
    if (stored !== undefined && stored !== entry.size)
      throw bad(
        `The size given for "${printable(path)}" (${entry.size.toLocaleString('en-US')} bytes) is not the size of its uploaded file (${stored.toLocaleString('en-US')} bytes). Send each file's real size.`,
      );
  }
}

/**
 * Files validateManifest passed already for this platform, read back from the server's own store (a
 * proposal negotiated for it, a deployment's manifest): what it made of them again, without checking
 * every path a second time. In path order, as files are uploaded: packs are then read in order.
 */
export function asValidated(files: Readonly<ProposedManifest>): Manifest {
  const entries = Object.entries(files).sort(byPath);
  return Object.fromEntries(entries.map(([path, e]) => [path, { sha256: e.sha256, size: e.size, contentType: servedContentType(path) }]));
}

/** The files as a manifest names them (path → SHA-256 and size), without what validation added. */
export const namedFiles = (manifest: Readonly<ProposedManifest>): ProposedManifest =>
  Object.fromEntries(Object.entries(manifest).map(([path, e]) => [path, { sha256: e.sha256, size: e.size }]));

/** The distinct blobs files name (SHA-256), in first-named order. */
export const blobsOf = (files: Record<string, { sha256: string }>): string[] => [...new Set(Object.values(files).map((f) => f.sha256))];

const printable = printablePath;
