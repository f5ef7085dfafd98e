/** An invalidation a tier could not take while it was down; replayed in order when it comes back. */
export type PendingOperation = { op: 'delete'; key: string } | { op: 'tag'; tag: string; at: number } | { op: 'clear' };

export interface PendingQueue {
  push(operation: PendingOperation): void;
  shift(): PendingOperation | undefined;
  unshift(operation: PendingOperation): void;
  clear(): void;
  readonly size: number;
}

/**
 * Bounded: past `maxSize` operations the queue collapses into one `clear`, which covers every invalidation
 * it replaces (the tier loses its contents rather than serving something that was invalidated).
 */
export function createPendingQueue(maxSize: number): PendingQueue {
  let operations: PendingOperation[] = [];
  return {
    push(operation) {
      if (operations.length >= maxSize) operations = [{ op: 'clear' }];
      else operations.push(operation);
    },
    shift: () => operations.shift(),
    unshift: (operation) => void operations.unshift(operation),
    clear: () => void (operations = []),
    get size() {
      return operations.length;
    },
  };
}
