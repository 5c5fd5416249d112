import type { ProjectAuth } from '../core/project.js';

/**
 * Projects by Apikey, kept briefly in memory so that an API call does not read its project's row
 * on every request (ADR 0019). What authentication decides is unchanged: the presented token is
 * still hashed and compared, in constant time, with the cached row's hash, and a token that does
 * not match the cached row is checked against the database before it is refused, so that a token
 * rotated by another process works at once.
 *
 * Staleness is bounded: a change made by this process is seen by its next request (its commands
 * announce `afterCommit(tx, 'projects')`, and the gateway clears the cache); a change made by
 * another process (another instance, the CLI) is seen within `ttlMs`. Unknown Apikeys are never
 * cached, so a new project works at once and random keys cannot fill the cache.
 */
export const PROJECT_CACHE_ENTRIES_MAX = 10_000;

/** A cached project with its token's hash, as the store mapped it from the row once, when it was read. */
interface Entry extends ProjectAuth {
  atMs: number;
}

export class ProjectCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by `clear`: a read that began before a change must not cache what it read. */
  private generation = 0;

  constructor(
    readonly ttlMs: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  get(apikey: string): ProjectAuth | undefined {
    const entry = this.entries.get(apikey);
    if (entry === undefined) return undefined;
    if (this.nowMs() - entry.atMs >= this.ttlMs) {
      this.entries.delete(apikey);
      return undefined;
    }
    return entry;
  }

  /** The generation to give back to `set` after the database read. */
  begin(): number {
    return this.generation;
  }

  set(apikey: string, auth: ProjectAuth, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.generation) return;
    if (this.entries.size >= PROJECT_CACHE_ENTRIES_MAX) this.entries.clear();
    // Shared by every request that authenticates with this key until it expires: frozen.
    const project = auth.project;
    Object.freeze(project.allowedIps);
    Object.freeze(project.operatorIds);
    this.entries.set(apikey, {
      project: Object.freeze(project),
      tokenHash: auth.tokenHash,
      atMs: this.nowMs(),
    });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
