/** One load in progress for a key. */
export interface LoadToken {
  /** Set when the key was written, deleted or cleared after the load began: its result must not be stored. */
  superseded: boolean;
  /** When the load began (before its first read): the stored entry's `createdAt`. */
  readonly createdAt: number;
  done(): void;
}

/**
 * Loads are registered before their first read, so a set/delete/clear of the key while a loader runs marks its
 * result outdated: it still answers the callers waiting for it, but is not stored over the newer state.
 */
export interface LoadTokens {
  begin(key: string, createdAt: number): LoadToken;
  /** Marks the key's loads (every load when no key is given) as superseded. */
  supersede(key?: string): void;
}

/**
 * Every L2/L3 read-through takes a token, so it is one object and one map entry: the tokens of a key form a
 * chain from the map (usually a chain of one; a refresh running beside a read-through makes two).
 */
class Token implements LoadToken {
  superseded = false;
  next: Token | undefined = undefined;
  private finished = false;
  constructor(
    readonly key: string,
    readonly createdAt: number,
    private readonly active: Map<string, Token>,
  ) {}

  done(): void {
    if (this.finished) return;
    this.finished = true;
    const head = this.active.get(this.key);
    if (head === this) {
      if (this.next) this.active.set(this.key, this.next);
      else this.active.delete(this.key);
      return;
    }
    for (let previous = head; previous !== undefined; previous = previous.next) {
      if (previous.next === this) {
        previous.next = this.next;
        return;
      }
    }
  }
}

export function createLoadTokens(): LoadTokens {
  const active = new Map<string, Token>();
  return {
    begin(key, createdAt) {
      const token = new Token(key, createdAt, active);
      token.next = active.get(key);
      active.set(key, token);
      return token;
    },
    supersede(key) {
      if (key === undefined) {
        for (const head of active.values()) for (let token: Token | undefined = head; token; token = token.next) token.superseded = true;
      } else for (let token = active.get(key); token; token = token.next) token.superseded = true;
    },
  };
}
