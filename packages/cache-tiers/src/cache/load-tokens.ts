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

export function createLoadTokens(): LoadTokens {
  const active = new Map<string, Set<LoadToken>>();
  return {
    begin(key, createdAt) {
      let tokens = active.get(key);
      if (!tokens) active.set(key, (tokens = new Set()));
      const forKey = tokens;
      const token: LoadToken = {
        superseded: false,
        createdAt,
        done: () => {
          forKey.delete(token);
          if (forKey.size === 0 && active.get(key) === forKey) active.delete(key);
        },
      };
      forKey.add(token);
      return token;
    },
    supersede(key) {
      if (key === undefined) {
        for (const tokens of active.values()) for (const token of tokens) token.superseded = true;
      } else for (const token of active.get(key) ?? []) token.superseded = true;
    },
  };
}
