// Local copies of objects a remote store (S3) hands out as files: a deployment reads its packs when it is
// created (the scan) and again when it runs (the platform's upload, the zip), and the next deploy of the
// same site reads most of them again. An object this process stored is kept from the bytes it sent (a
// write-through copy): the deployment its upload was for reads it back minutes later. Objects are never
// rewritten under their key (blobs are named by their hash, packs by a fresh id), so a copy stays true
// until the object is deleted through this store. Copies are kept up to a byte budget, least recently
// used first out; one in use is never removed.
import { access } from 'node:fs/promises';
import type { LocalCopy } from './object-store';
import type { Spooled } from './spool';

interface Copy {
  ready: Promise<Spooled>;
  spooled?: Spooled;
  users: number;
  /** Forgotten (its object deleted, or evicted) while in use: removed when the last user lets go. */
  dropped: boolean;
}

export class LocalCopies {
  /** In the order of last use (a Map keeps insertion order: a used copy is moved to the end). */
  private readonly copies = new Map<string, Copy>();
  private bytes = 0;

  constructor(
    private readonly download: (key: string) => Promise<Spooled>,
    private readonly budgetBytes: number,
  ) {}

  async acquire(key: string): Promise<LocalCopy> {
    // A copy whose file went is fetched again.
    return (await this.present(key, await this.acquireHeld(key))) ?? this.acquireHeld(key);
  }

  /**
   * The copy, if its file is still there; one whose file went (a temporary-files cleaner, a sibling
   * process that took this one's folder for a dead one's) is let go of and forgotten.
   */
  private async present(key: string, copy: LocalCopy): Promise<LocalCopy | null> {
    if (await exists(copy.path)) return copy;
    await copy.release();
    await this.forget(key);
    return null;
  }

  private async acquireHeld(key: string): Promise<LocalCopy> {
    let copy = this.copies.get(key);
    if (copy) this.copies.delete(key);
    else {
      const fresh: Copy = { ready: this.download(key), users: 0, dropped: false };
      fresh.ready.then(
        (spooled) => {
          fresh.spooled = spooled;
          if (fresh.dropped) return;
          this.bytes += spooled.size;
        },
        () => {
          if (this.copies.get(key) === fresh) this.copies.delete(key);
        },
      );
      copy = fresh;
    }
    this.copies.set(key, copy);
    copy.users++;
    let spooled: Spooled;
    try {
      spooled = await copy.ready;
    } catch (err) {
      copy.users--;
      throw err;
    }
    await this.evict();
    let released = false;
    const current = copy;
    return {
      path: spooled.file,
      release: async () => {
        if (released) return;
        released = true;
        current.users--;
        if (current.dropped && current.users === 0) await this.remove(current);
        else await this.evict();
      },
    };
  }

  /**
   * Keeps a file the caller made of an object's bytes (the object just stored from them) as its copy,
   * in place of any copy held before; past the budget the least recently used go, as for a download.
   */
  async adopt(key: string, spooled: Spooled): Promise<void> {
    // Replaced before any await: two adoptions of one key at once each drop the copy they replaced.
    const before = this.copies.get(key);
    this.copies.delete(key);
    this.copies.set(key, { ready: Promise.resolve(spooled), spooled, users: 0, dropped: false });
    this.bytes += spooled.size;
    if (before) await this.drop(before);
    await this.evict();
  }

  /** The copy of `key` when one is held (never downloaded for this), with its size; let go of it with `release`. */
  async held(key: string): Promise<(LocalCopy & { size: number }) | null> {
    const size = this.copies.get(key)?.spooled?.size;
    if (size === undefined) return null;
    // One whose file went is not fetched again for this.
    const copy = await this.present(key, await this.acquireHeld(key));
    return copy && { ...copy, size };
  }

  /** The object is gone: its copy is not handed out again, and is removed once nobody uses it. */
  async forget(key: string): Promise<void> {
    const copy = this.copies.get(key);
    if (!copy) return;
    this.copies.delete(key);
    await this.drop(copy);
  }

  private async drop(copy: Copy): Promise<void> {
    if (copy.dropped) return;
    copy.dropped = true;
    if (copy.spooled) this.bytes -= copy.spooled.size;
    if (copy.users === 0) await this.remove(copy);
  }

  private async remove(copy: Copy): Promise<void> {
    const spooled = copy.spooled ?? (await copy.ready.catch(() => undefined));
    if (!spooled) return;
    await spooled.remove();
  }

  /** Least recently used copies out, until the held bytes fit the budget (copies in use stay). */
  private async evict(): Promise<void> {
    for (const [key, copy] of this.copies) {
      if (this.bytes <= this.budgetBytes) return;
      if (copy.users > 0 || !copy.spooled) continue;
      this.copies.delete(key);
      await this.drop(copy);
    }
  }
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );
