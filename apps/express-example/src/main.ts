import { createExampleApp } from './app.js';

const port = Number(process.env.PORT ?? 3002);
const example = createExampleApp();
example.server.listen(port, () => {
  console.log(`express example on http://127.0.0.1:${port} — dashboard at /api/performance/enhanced/`);
});
const shutdown = () => void example.close().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
