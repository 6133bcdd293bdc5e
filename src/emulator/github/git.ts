// Git's object format, so that the SHA-1s the local GitHub answers are the ones git itself computes
// (https://git-scm.com/book/en/v2/Git-Internals-Git-Objects): an object's id is the SHA-1 of
// `<type> <size>\0<body>`. A tree's body is its entries sorted by name (a subtree compared as if its
// name ended in "/"), each `<mode> <name>\0<20-byte id>`, with mode 40000 for a subtree. A commit's
// body is `tree`, `parent`s, `author`, `committer` lines, a blank line and the message.
import { createHash } from 'node:crypto';

export type ObjectType = 'blob' | 'tree' | 'commit';

/** Modes as the API writes them (a subtree is "040000" there, "40000" inside the object). */
export const MODES: Record<string, ObjectType> = { '100644': 'blob', '100755': 'blob', '120000': 'blob', '040000': 'tree', '160000': 'commit' };

export const EMPTY_TREE_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const SHA1 = /^[0-9a-f]{40}$/;

export interface TreeEntry {
  name: string;
  mode: string;
  type: ObjectType;
  sha: string;
}

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  seconds: number;
  /** Git's zone, e.g. "+0000" or "-0230". */
  tz: string;
}

export interface CommitObject {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}

export function objectSha(type: ObjectType, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/** Git's order: bytewise by name, a subtree's name followed by "/". */
export function sortEntries(entries: TreeEntry[]): TreeEntry[] {
  const key = (e: TreeEntry) => Buffer.from(e.type === 'tree' ? `${e.name}/` : e.name);
  return [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
}

export function treeBody(entries: TreeEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of sortEntries(entries)) {
    parts.push(Buffer.from(`${e.mode === '040000' ? '40000' : e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex'));
  }
  return Buffer.concat(parts);
}

const signatureLine = (s: Signature) => `${s.name} <${s.email}> ${s.seconds} ${s.tz}`;

export function commitBody(c: CommitObject): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${signatureLine(c.author)}`, `committer ${signatureLine(c.committer)}`];
  return Buffer.from(`${lines.join('\n')}\n\n${c.message}`);
}

/** An ISO 8601 date as git records it (its own offset kept); undefined when it does not parse. */
export function signatureTime(iso: string): { seconds: number; tz: string } | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  const zone = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  return { seconds: Math.floor(ms / 1000), tz: zone ? `${zone[1]}${zone[2]}${zone[3]}` : '+0000' };
}

/** The API's form of a signature date: UTC, whole seconds ("2026-01-02T03:04:05Z"). */
export const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A name git accepts as one tree entry. */
export const validEntryName = (name: string) => name !== '' && name !== '.' && name !== '..' && name !== '.git' && !name.includes('\0');
