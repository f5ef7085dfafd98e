/** How long tag versions and the namespace's clock are kept (ms): longer than any entry may live. @default 7 days */
export const DEFAULT_MAX_TAG_AGE_MS = 7 * 24 * 3600 * 1000;

/** Ms a tombstone (and an entry's version) outlives its entry, bounding how long a load may take to be stored. @default 60000 */
export const DEFAULT_FILL_WINDOW_MS = 60_000;
