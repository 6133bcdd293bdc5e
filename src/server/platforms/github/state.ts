// What a GitHub deployment keeps between attempts, and the names its steps share.
import type { DeployContext } from '../adapter';
import type { GithubCredentials } from './client';

/** The branch Pages publishes. */
export const PAGES_BRANCH = 'gh-pages';

export interface GithubCheckpoint {
  /** `owner/name` of the repository. */
  repo?: string;
  /** Whether this deployment created the repository. */
  createdRepo?: boolean;
  /** Blobs this deployment uploaded (the branch may not hold them yet). */
  uploadedBlobs?: string[];
  treeSha?: string;
  /** The commit that holds this deployment's files, and the branch head it was made on (null: none). */
  commitSha?: string;
  commitParent?: string | null;
  /** The site's address once Pages is on. */
  pagesUrl?: string;
}

export type Ctx = DeployContext<GithubCredentials>;

export interface SiteFile {
  path: string;
  size: number;
  /** Git's blob id. */
  sha: string;
  /** The blob to read; none for the generated, empty `.nojekyll`. */
  sha256?: string;
}
