export declare function waiTestConfig(overrides?: { test?: Record<string, unknown> }): Record<string, unknown>;
