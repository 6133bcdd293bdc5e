// The Cloudflare account model of the local cloud: assets by hash per account, upload sessions,
// scripts with their versions and deployments.
import { randomBytes, randomUUID } from 'node:crypto';

export interface AssetsConfig {
  html_handling?: 'auto-trailing-slash' | 'force-trailing-slash' | 'drop-trailing-slash' | 'none';
  not_found_handling?: 'none' | '404-page' | 'single-page-application';
  _headers?: string;
  _redirects?: string;
}

export interface StoredAsset {
  contentType: string;
  bytes: Buffer;
}

export interface UploadSession {
  id: string;
  accountId: string;
  script: string;
  /** path → hash */
  manifest: Record<string, string>;
  sizes: Record<string, number>;
  createdAt: number;
}

export interface Version {
  id: string;
  number: number;
  createdOn: string;
  /** path → hash */
  manifest: Record<string, string>;
  config: AssetsConfig;
  compatibilityDate?: string;
  /** `workers/message`, `workers/tag`… as uploaded in the metadata. */
  annotations?: Record<string, string>;
  etag: string;
}

export interface Deployment {
  id: string;
  createdOn: string;
  versions: { version_id: string; percentage: number }[];
  strategy: string;
  annotations?: Record<string, string>;
}

export interface Script {
  name: string;
  accountId: string;
  tag: string;
  createdOn: string;
  modifiedOn: string;
  versions: Version[];
  deployments: Deployment[];
  subdomainEnabled: boolean;
  previewsEnabled: boolean;
}

export class CloudflareState {
  /** accountId → hash → asset */
  assets = new Map<string, Map<string, StoredAsset>>();
  sessions = new Map<string, UploadSession>();
  /** `${accountId}/${name}` → script */
  scripts = new Map<string, Script>();

  assetsOf(accountId: string): Map<string, StoredAsset> {
    let map = this.assets.get(accountId);
    if (!map) this.assets.set(accountId, (map = new Map()));
    return map;
  }

  script(accountId: string, name: string): Script | undefined {
    return this.scripts.get(`${accountId}/${name}`);
  }

  scriptsOf(accountId: string): Script[] {
    return [...this.scripts.values()].filter((s) => s.accountId === accountId);
  }

  createScript(accountId: string, name: string, nowIso: string): Script {
    const script: Script = {
      name,
      accountId,
      tag: randomBytes(16).toString('hex'),
      createdOn: nowIso,
      modifiedOn: nowIso,
      versions: [],
      deployments: [],
      subdomainEnabled: false,
      previewsEnabled: false,
    };
    this.scripts.set(`${accountId}/${name}`, script);
    return script;
  }

  deleteScript(accountId: string, name: string): boolean {
    return this.scripts.delete(`${accountId}/${name}`);
  }

  addVersion(script: Script, fields: Omit<Version, 'id' | 'number' | 'etag'>): Version {
    const version: Version = { ...fields, id: randomUUID(), number: script.versions.length + 1, etag: randomBytes(32).toString('hex') };
    script.versions.push(version);
    script.modifiedOn = fields.createdOn;
    return version;
  }

  deploy(script: Script, versions: Deployment['versions'], nowIso: string, annotations?: Record<string, string>): Deployment {
    const deployment: Deployment = { id: randomUUID(), createdOn: nowIso, versions, strategy: 'percentage', annotations };
    script.deployments.unshift(deployment);
    script.modifiedOn = nowIso;
    return deployment;
  }

  /** The version receiving the most traffic in the latest deployment: what the site serves. */
  liveVersion(script: Script): Version | undefined {
    const latest = script.deployments[0];
    if (!latest) return undefined;
    const top = [...latest.versions].sort((a, b) => b.percentage - a.percentage)[0];
    return script.versions.find((v) => v.id === top?.version_id);
  }

  reset(): void {
    this.assets.clear();
    this.sessions.clear();
    this.scripts.clear();
  }
}
