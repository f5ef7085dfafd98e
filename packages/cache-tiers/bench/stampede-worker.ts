/**
 * One of the 4 processes of row 3: builds a contestant on the shared Redis, waits for "go", fires `requests`
 * concurrent getOrSet calls on one cold key; the loader counts itself with INCR on a shared Redis counter.
 */
import { Redis } from 'ioredis';
import { createContestant, type ContestantName } from './contestants.js';

interface Go {
  key: string;
  counterKey: string;
  requests: number;
}

const [name, redisUrl, prefix] = process.argv.slice(2) as [ContestantName, string, string];
const counter = new Redis(redisUrl);
const contestant = createContestant(name, { redisUrl, prefix, withL1: true, lease: true });
process.send?.({ ready: true });
process.on('message', (message: Go) => {
  void (async () => {
    const loader = async () => {
      await counter.incr(message.counterKey);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { loaded: true };
    };
    const results = await Promise.all(Array.from({ length: message.requests }, () => contestant.getOrSet(message.key, loader).catch(() => undefined)));
    process.send?.({ done: true, answered: results.filter(Boolean).length });
    await contestant.close();
    counter.disconnect();
    process.exit(0);
  })();
});
