// Test helpers for users of @wai packages (and our own suites).
export { createFakeClock, type FakeClock } from './fake-clock.js';
